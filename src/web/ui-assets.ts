/** The UI's page, script and style (see ui.ts). */
export const INDEX_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dagbridge</title><link rel="stylesheet" href="/ui/style.css"></head>
<body><header><a href="#/">dagbridge</a></header><main id="main">Loading...</main><script src="/ui/app.js"></script></body></html>
`;
export const APP_JS = `document.getElementById('main').textContent = 'dagbridge';\n`;
export const STYLE_CSS = `body { font-family: sans-serif; margin: 0; }\n`;
