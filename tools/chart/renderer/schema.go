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
// chart the renderer accepts is one Helm accepts, and the message is Helm's, word for word: the tests assert
// on what a Helm user reads, so the renderer adds nothing of its own. The schema is written so that those
// lines name the value to change (README: "What a refusal means").
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
