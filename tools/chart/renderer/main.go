// Command renderer is a test-only stand-in for `helm template` on machines where no helm binary can be
// installed. It renders a chart with Go's text/template and Sprig, the libraries Helm's engine is built
// from, plus the Helm functions and objects our chart uses. It prints the manifests in the same stream
// format as `helm template` and exits non-zero on any template or YAML error, as Helm would.
//
// Usage: renderer [--release NAME] [--namespace NS] [-f values.yaml]... [--set a.b=c]...
//
//	[--api-versions group/version]... [--notes] [--values-json] CHART_DIR
//
// --values-json prints the merged values (defaults, files, --set) as JSON instead of rendering, so the test
// helper can check them against values.schema.json as Helm does before it renders.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// repeated collects a flag given several times, like Helm's -f and --set.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

func main() {
	var valueFiles, sets, apiVersions repeated
	release := flag.String("release", "release-name", "release name, as `helm template NAME`")
	namespace := flag.String("namespace", "default", "release namespace")
	notes := flag.Bool("notes", false, "also render templates/NOTES.txt, as `helm install` shows it")
	flag.Var(&valueFiles, "f", "values file (may repeat; later files win)")
	flag.Var(&sets, "set", "a.b.c=value (may repeat; wins over files)")
	flag.Var(&apiVersions, "api-versions", "extra API version for .Capabilities.APIVersions (may repeat)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: renderer [flags] CHART_DIR")
		os.Exit(2)
	}

	out, err := run(flag.Arg(0), options{
		release: *release, namespace: *namespace, notes: *notes,
		valueFiles: valueFiles, sets: sets, apiVersions: apiVersions,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error: %v\n", err)
		os.Exit(1)
	}
	fmt.Print(out)
}

type options struct {
	release, namespace string
	notes              bool
	valueFiles, sets   []string
	apiVersions        []string
}

func run(chartDir string, opts options) (string, error) {
	chart, err := loadChart(chartDir)
	if err != nil {
		return "", err
	}
	values, err := buildValues(chart.defaults, opts.valueFiles, opts.sets)
	if err != nil {
		return "", err
	}
	if err := checkSchema(chart, values); err != nil {
		return "", err
	}
	top := map[string]interface{}{
		"Values":       values,
		"Chart":        chart.metadata,
		"Release":      releaseObject(opts.release, opts.namespace),
		"Capabilities": newCapabilities(opts.apiVersions),
		"Files":        chart.files,
	}
	return render(chart, top, opts.notes)
}

func releaseObject(name, namespace string) map[string]interface{} {
	return map[string]interface{}{
		"Name": name, "Namespace": namespace, "Service": "Helm",
		"IsInstall": true, "IsUpgrade": false, "Revision": 1,
	}
}
