package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

// funcMap is Sprig's text functions with Helm's changes: env access removed, Helm's own functions added.
// include and tpl need the template set itself, so they are bound in engine.funcs.
func funcMap() template.FuncMap {
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	extra := template.FuncMap{
		"toYaml":   toYAML,
		"fromYaml": fromYAML,
		"toJson":   toJSON,
		"fromJson": fromJSON,
		"required": required,
		// `helm template` has no cluster to ask, so lookup finds nothing, as in Helm.
		"lookup": func(apiVersion, kind, namespace, name string) (map[string]interface{}, error) {
			return map[string]interface{}{}, nil
		},
		// Bound for real in engine.funcs; present here so templates parse.
		"include": func(string, interface{}) (string, error) { return "", nil },
		"tpl":     func(string, interface{}) (string, error) { return "", nil },
	}
	for name, fn := range extra {
		funcs[name] = fn
	}
	return funcs
}

func toYAML(value interface{}) string {
	var buf bytes.Buffer
	encoder := yaml.NewEncoder(&buf)
	encoder.SetIndent(2)
	if err := encoder.Encode(integralFloatsToInts(normalize(value))); err != nil {
		return "" // Helm's toYaml also swallows errors
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// fromYAML answers the document as a map, or {"Error": ...} as Helm's does.
func fromYAML(text string) map[string]interface{} {
	out := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(text), &out); err != nil {
		return map[string]interface{}{"Error": err.Error()}
	}
	return normalize(out).(map[string]interface{})
}

func toJSON(value interface{}) string {
	text, err := json.Marshal(value)
	if err != nil {
		return ""
	}
	return string(text)
}

func fromJSON(text string) map[string]interface{} {
	out := map[string]interface{}{}
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		return map[string]interface{}{"Error": err.Error()}
	}
	return out
}

// required fails the render with the chart's own message when a value is missing or empty, as Helm does.
func required(message string, value interface{}) (interface{}, error) {
	if value == nil {
		return nil, fmt.Errorf(message)
	}
	if s, ok := value.(string); ok && s == "" {
		return nil, fmt.Errorf(message)
	}
	return value, nil
}

// capabilities is `.Capabilities`: a fixed, recent Kubernetes plus the built-in API versions the chart
// asks about and any given with --api-versions (as `helm template --api-versions`).
type capabilities struct {
	KubeVersion kubeVersion
	APIVersions apiVersions
	HelmVersion map[string]string
}

type kubeVersion struct{ Version, Major, Minor, GitVersion string }

func (k kubeVersion) String() string { return k.Version }

type apiVersions []string

// Has answers whether "group/version" or "group/version/Kind" is served, like Helm's VersionSet.Has.
func (a apiVersions) Has(version string) bool {
	for _, v := range a {
		if v == version {
			return true
		}
	}
	return false
}

func newCapabilities(extra []string) capabilities {
	builtin := []string{
		"v1", "apps/v1", "batch/v1", "autoscaling/v2", "policy/v1", "networking.k8s.io/v1",
		"rbac.authorization.k8s.io/v1", "apiextensions.k8s.io/v1",
	}
	return capabilities{
		KubeVersion: kubeVersion{Version: "v1.30.0", Major: "1", Minor: "30", GitVersion: "v1.30.0"},
		APIVersions: append(builtin, extra...),
		HelmVersion: map[string]string{"Version": "v3.15.0"},
	}
}
