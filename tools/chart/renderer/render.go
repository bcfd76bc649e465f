package main

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"

	"gopkg.in/yaml.v3"
)

// engine holds one template set with every template of the chart, so include and tpl see them all.
type engine struct {
	root     *template.Template
	basePath string
}

func newEngine(c *chart) (*engine, error) {
	e := &engine{basePath: c.name + "/templates"}
	// missingkey=zero plus the "<no value>" removal below is what Helm does outside --strict.
	e.root = template.New("gotpl").Option("missingkey=zero").Funcs(funcMap())
	e.root.Funcs(template.FuncMap{"include": e.include, "tpl": e.tpl})
	for name, text := range c.templates {
		if _, err := e.root.New(name).Parse(text); err != nil {
			return nil, fmt.Errorf("parse error in %v", err)
		}
	}
	return e, nil
}

func (e *engine) include(name string, data interface{}) (string, error) {
	var buf bytes.Buffer
	if err := e.root.ExecuteTemplate(&buf, name, data); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// tpl renders a string as a template that may call the chart's named templates.
func (e *engine) tpl(text string, data interface{}) (string, error) {
	clone, err := e.root.Clone()
	if err != nil {
		return "", err
	}
	t, err := clone.New("tpl").Parse(text)
	if err != nil {
		return "", fmt.Errorf("cannot parse template %q: %v", text, err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return "", err
	}
	return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
}

func (e *engine) execute(name string, top map[string]interface{}) (string, error) {
	scope := map[string]interface{}{}
	for key, value := range top {
		scope[key] = value
	}
	scope["Template"] = map[string]interface{}{"Name": name, "BasePath": e.basePath}
	var buf bytes.Buffer
	if err := e.root.ExecuteTemplate(&buf, name, scope); err != nil {
		return "", err
	}
	return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
}

// render writes every document in `helm template`'s format and checks each one is YAML, as Helm does
// before it sends anything to a cluster.
func render(c *chart, top map[string]interface{}, notes bool) (string, error) {
	e, err := newEngine(c)
	if err != nil {
		return "", err
	}
	var out strings.Builder
	for _, name := range c.renderable() {
		text, err := e.execute(name, top)
		if err != nil {
			return "", err
		}
		for _, doc := range splitDocuments(text) {
			var parsed interface{}
			if err := yaml.Unmarshal([]byte(doc), &parsed); err != nil {
				return "", fmt.Errorf("YAML parse error on %s: %v", name, err)
			}
			fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", name, doc)
		}
	}
	notesName := c.name + "/templates/NOTES.txt"
	if _, found := c.templates[notesName]; notes && found {
		text, err := e.execute(notesName, top)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&out, "\nNOTES:\n%s\n", strings.TrimSpace(text))
	}
	return out.String(), nil
}

// splitDocuments cuts a rendered file at "---" lines and drops documents that hold only whitespace or
// comments, which Helm leaves out too.
func splitDocuments(text string) []string {
	var docs []string
	for _, doc := range strings.Split("\n"+text, "\n---") {
		trimmed := strings.TrimSpace(doc)
		if trimmed == "" || onlyComments(trimmed) {
			continue
		}
		docs = append(docs, strings.TrimRight(strings.TrimLeft(doc, "\n"), " \n"))
	}
	return docs
}

func onlyComments(doc string) bool {
	for _, line := range strings.Split(doc, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			return false
		}
	}
	return true
}
