// plotly.js with only the trace types the command center draws (see layers/): the map traces, bars and the scatter
// lines that come with the core. 3.1 MB instead of 4.8 MB: the wall PC parses and runs a third less before its
// first paint. A trace type added to layers/ must be added here too, then `make plotly-bundle`.
var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/scattermap'),
    require('plotly.js/lib/choroplethmap'),
    require('plotly.js/lib/densitymap'),
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/calendars'),
]);

module.exports = Plotly;
