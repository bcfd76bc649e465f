package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/xeipuuv/gojsonschema"
)

// checkSchema refuses values that do not fit the chart's values.schema.json before anything is rendered, as
// `helm template` and `helm install` do. It uses the validator Helm 3.0 to 3.17 is built on (gojsonschema,
// from Debian) the way Helm calls it (merged values as JSON, errors listed as "- field: description"), so a
// chart the renderer accepts is one Helm accepts, and the message is Helm's.
//
// Helm stops there. Its validator names the keyword that failed (oneOf, if/then), not the chart's reason, so
// the renderer then names the chart's rules that the values break: the top-level `allOf` entries of the
// schema, each checked alone, by their `description`.
func checkSchema(c *chart, values map[string]interface{}) error {
	schemaJSON, found := c.files["values.schema.json"]
	if !found {
		return nil
	}
	valuesJSON, err := json.Marshal(values)
	if err != nil {
		return err
	}
	problems, err := schemaProblems(schemaJSON, valuesJSON)
	if err != nil || len(problems) == 0 {
		return err
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "values don't meet the specifications of the schema(s) in the following chart(s):\n%s:\n", c.name)
	for _, problem := range problems {
		fmt.Fprintf(&msg, "- %s\n", problem)
	}
	broken, err := brokenRules(schemaJSON, valuesJSON)
	if err != nil {
		return err
	}
	if len(broken) > 0 {
		msg.WriteString("The chart's rules these values break (values.schema.json):\n")
		for _, rule := range broken {
			fmt.Fprintf(&msg, "- %s\n", rule)
		}
	}
	return errors.New(strings.TrimSuffix(msg.String(), "\n"))
}

// schemaProblems validates like Helm's ValidateAgainstSingleSchema and answers one line per error.
func schemaProblems(schemaJSON, valuesJSON []byte) ([]string, error) {
	schema, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(schemaJSON))
	if err != nil {
		return nil, fmt.Errorf("unable to compile schema: %v", err)
	}
	result, err := schema.Validate(gojsonschema.NewBytesLoader(valuesJSON))
	if err != nil {
		return nil, err
	}
	var problems []string
	for _, desc := range result.Errors() {
		problems = append(problems, desc.String())
	}
	return problems, nil
}

// brokenRules checks each described entry of the schema's top-level allOf on its own (with the schema's
// definitions, which the rules refer to) and answers the descriptions of those that fail.
func brokenRules(schemaJSON, valuesJSON []byte) ([]string, error) {
	var root struct {
		Schema      interface{}              `json:"$schema"`
		Definitions interface{}              `json:"definitions"`
		AllOf       []map[string]interface{} `json:"allOf"`
	}
	if err := json.Unmarshal(schemaJSON, &root); err != nil {
		return nil, err
	}
	var broken []string
	for _, rule := range root.AllOf {
		description, _ := rule["description"].(string)
		if description == "" {
			continue
		}
		alone := map[string]interface{}{"$schema": root.Schema, "definitions": root.Definitions}
		for key, value := range rule {
			alone[key] = value
		}
		ruleJSON, err := json.Marshal(alone)
		if err != nil {
			return nil, err
		}
		problems, err := schemaProblems(ruleJSON, valuesJSON)
		if err != nil {
			return nil, err
		}
		if len(problems) > 0 {
			broken = append(broken, description)
		}
	}
	return broken, nil
}
