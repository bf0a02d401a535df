/** The order desk's CSS on top of the customer pages' (lib/html.ts): wider, a timeline, forms, visible focus. */
export const DESK_STYLE = `
  main { max-width: 52rem; }
  h2 { font-size: 1.15rem; margin: 0 0 .5rem; }
  .card > :last-child { margin-bottom: 0; }
  form.search { display: flex; gap: .5rem; flex-wrap: wrap; margin: 0; }
  form.search label { flex: 1 1 100%; font-weight: 600; }
  input[type=search] { flex: 1 1 12rem; min-width: 0; font-size: 1rem; padding: .55rem .6rem; border: 1px solid #8792a2; border-radius: 8px; }
  a:focus-visible, button:focus-visible, summary:focus-visible, input:focus-visible { outline: 3px solid #533afd; outline-offset: 2px; }
  dl.facts { display: grid; grid-template-columns: minmax(6rem, max-content) minmax(0, 1fr); gap: .25rem .75rem; margin: 0; }
  dl.facts dt { color: #5b6472; } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
  ul.plain { list-style: none; padding: 0; margin: 0; }
  ul.plain > li { padding: .5rem 0; border-bottom: 1px solid #e3e8ee; overflow-wrap: anywhere; }
  ul.plain > li:last-child { border-bottom: none; }
  ol.timeline { list-style: none; padding: 0; margin: 0; }
  ol.timeline > li { border-left: 3px solid #c1c9d2; padding: .2rem 0 .8rem .8rem; overflow-wrap: anywhere; }
  ol.timeline > li.t-bad { border-left-color: #b3093c; } ol.timeline > li.t-ok { border-left-color: #05690d; } ol.timeline > li.t-act { border-left-color: #533afd; }
  ol.timeline time { display: block; color: #5b6472; font-size: .85rem; }
  details summary { cursor: pointer; color: #533afd; font-size: .9rem; }
  pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: .8rem; background: #f0f2f5; padding: .5rem; border-radius: 6px; margin: .25rem 0 0; }
  .actions { display: flex; flex-wrap: wrap; gap: .5rem; margin-top: .5rem; }
  .actions form { margin: 0; }
  .btn.secondary { background: #fff; color: #533afd; border: 1px solid #533afd; }
  .btn.small { padding: .35rem .7rem; font-size: .9rem; }
  .btn.danger { background: #c0123c; }
  form.refund label { display: block; padding: .3rem 0; min-height: 44px; }
  form.refund label.indent { padding-left: 1.5rem; }
  fieldset { border: 1px solid #e3e8ee; border-radius: 8px; padding: .5rem .75rem; margin: 0; }
  .notice { border-left: 4px solid #533afd; }
`;
