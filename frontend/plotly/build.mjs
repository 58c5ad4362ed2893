// Builds assets/vendor/plotly-command-<version>.min.js with the options plotly.js uses for its own bundles
// (plotly.js/esbuild-config.js), from entry.js. Run by `make plotly-bundle`.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { environmentPlugin } from 'esbuild-plugin-environment';
import { glsl } from 'esbuild-plugin-glsl';
import InlineCSSPlugin from 'esbuild-plugin-inline-css';

const version = JSON.parse(readFileSync('node_modules/plotly.js/package.json', 'utf8')).version;
await build({
    entryPoints: ['./entry.js'],
    outfile: `../../assets/vendor/plotly-command-${version}.min.js`,
    format: 'iife', globalName: 'Plotly', bundle: true, minify: true, sourcemap: false,
    plugins: [InlineCSSPlugin(), glsl({ minify: true }), environmentPlugin({ NODE_DEBUG: false })],
    alias: { regl: '@plotly/regl', stream: 'stream-browserify' },
    define: { global: 'window', 'define.amd': 'false' },
    target: 'es2016', legalComments: 'eof', logLevel: 'info',
});
