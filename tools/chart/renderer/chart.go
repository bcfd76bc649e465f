package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// chart is a chart directory as Helm loads it: metadata, default values, templates and other files.
type chart struct {
	name      string
	metadata  map[string]interface{}
	defaults  map[string]interface{}
	templates map[string]string // "<chart>/templates/x.yaml" -> text, the names Helm gives them
	files     files
}

// chartFields maps Chart.yaml keys to the field names templates see (`.Chart.AppVersion`).
var chartFields = map[string]string{
	"apiVersion": "APIVersion", "name": "Name", "version": "Version", "appVersion": "AppVersion",
	"description": "Description", "type": "Type", "kubeVersion": "KubeVersion", "home": "Home",
	"keywords": "Keywords", "sources": "Sources", "maintainers": "Maintainers", "icon": "Icon",
	"annotations": "Annotations", "deprecated": "Deprecated", "dependencies": "Dependencies",
}

func loadChart(dir string) (*chart, error) {
	var raw map[string]interface{}
	if err := readYAML(filepath.Join(dir, "Chart.yaml"), &raw); err != nil {
		return nil, err
	}
	if raw["apiVersion"] != "v2" {
		return nil, fmt.Errorf("Chart.yaml: apiVersion must be v2, got %v", raw["apiVersion"])
	}
	metadata := map[string]interface{}{}
	for key, value := range raw {
		field, known := chartFields[key]
		if !known {
			return nil, fmt.Errorf("Chart.yaml: unknown field %q", key)
		}
		metadata[field] = value
	}
	name, _ := raw["name"].(string)
	if name == "" || raw["version"] == nil {
		return nil, fmt.Errorf("Chart.yaml: name and version are required")
	}

	defaults := map[string]interface{}{}
	if err := readYAML(filepath.Join(dir, "values.yaml"), &defaults); err != nil {
		return nil, err
	}
	c := &chart{name: name, metadata: metadata, defaults: normalize(defaults).(map[string]interface{}),
		templates: map[string]string{}, files: files{}}
	return c, c.loadFiles(dir)
}

// loadFiles reads every file: templates/ become templates, the rest is reachable through .Files.
func (c *chart) loadFiles(dir string) error {
	return filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		text, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasPrefix(rel, "templates/") {
			c.templates[c.name+"/"+rel] = string(text)
		} else {
			c.files[rel] = text
		}
		return nil
	})
}

// renderable lists the templates Helm writes out, sorted: not partials ("_"-prefixed), not NOTES.txt.
func (c *chart) renderable() []string {
	var names []string
	for name := range c.templates {
		base := filepath.Base(name)
		if strings.HasPrefix(base, "_") || base == "NOTES.txt" {
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func readYAML(path string, into interface{}) error {
	text, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(text, into); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	return nil
}

// files is `.Files`: Get and Glob-free access to the chart's non-template files.
type files map[string][]byte

func (f files) Get(name string) string { return string(f[name]) }
