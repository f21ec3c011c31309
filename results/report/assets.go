package report

import _ "embed"

// echartsVersion is the Apache ECharts release vendored in
// assets/echarts.min.js; assets/README.md says where it came from.
const echartsVersion = "5.6.0"

// echartsJS is inlined into every report, so that a report renders with
// no network: go-echarts would otherwise load it from a CDN.
//
//go:embed assets/echarts.min.js
var echartsJS string
