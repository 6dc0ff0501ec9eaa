/** The placeholder home page until the web application lands (French first, English below). */
export function placeholderPage(version: string): string {
  return `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SAEH — Système d'archivage électronique hybride</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;color:#1e1e1e;line-height:1.5}
h1{color:#000091;font-size:1.8rem}code{background:#eee;padding:.1rem .3rem;border-radius:3px}
.en{color:#555;border-top:1px solid #ddd;margin-top:2rem;padding-top:1rem}
</style>
</head>
<body>
<main>
<h1>SAEH</h1>
<p><strong>Système d'archivage électronique hybride</strong> — archives numériques et physiques des archives
départementales et des communes.</p>
<p>Le service est en marche (version ${version}). L'application web arrive ; en attendant :</p>
<ul>
<li>l'API : <a href="/api/v1/openapi.json"><code>/api/v1/openapi.json</code></a> (OpenAPI) ;</li>
<li>l'état du service : <a href="/health"><code>/health</code></a> ;</li>
<li>la ligne de commande : <code>npx saeh --help</code>.</li>
</ul>
<p class="en" lang="en">SAEH is running (version ${version}). The web application is on its way; meanwhile use the
HTTP API (<a href="/api/v1/openapi.json">OpenAPI document</a>), <a href="/health">/health</a> and <code>npx saeh --help</code>.</p>
</main>
</body>
</html>
`
}
