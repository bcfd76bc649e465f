package main

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// buildValues merges like Helm: chart defaults, then each -f file, then --set; a null removes a default.
func buildValues(defaults map[string]interface{}, valueFiles, sets []string) (map[string]interface{}, error) {
	values := deepCopy(defaults).(map[string]interface{})
	for _, path := range valueFiles {
		override := map[string]interface{}{}
		if err := readYAML(path, &override); err != nil {
			return nil, err
		}
		merge(values, normalize(override).(map[string]interface{}))
	}
	for _, set := range sets {
		if err := applySet(values, set); err != nil {
			return nil, err
		}
	}
	return values, nil
}

func merge(into, from map[string]interface{}) {
	for key, value := range from {
		if value == nil {
			delete(into, key)
			continue
		}
		existing, isMap := into[key].(map[string]interface{})
		incoming, incomingIsMap := value.(map[string]interface{})
		if isMap && incomingIsMap {
			merge(existing, incoming)
		} else {
			into[key] = value
		}
	}
}

// applySet handles `a.b.c=value`; values are typed as Helm's --set types them (int64, bool, null, string,
// and `{a,b}` for a list of those).
func applySet(values map[string]interface{}, set string) error {
	path, raw, found := strings.Cut(set, "=")
	if !found || path == "" {
		return fmt.Errorf("--set %q: expected key=value", set)
	}
	keys := strings.Split(path, ".")
	node := values
	for _, key := range keys[:len(keys)-1] {
		child, ok := node[key].(map[string]interface{})
		if !ok {
			child = map[string]interface{}{}
			node[key] = child
		}
		node = child
	}
	last := keys[len(keys)-1]
	if raw == "null" {
		delete(node, last)
		return nil
	}
	if strings.HasPrefix(raw, "{") && strings.HasSuffix(raw, "}") {
		list := []interface{}{}
		for _, item := range strings.Split(raw[1:len(raw)-1], ",") {
			list = append(list, typedSetValue(item))
		}
		node[last] = list
		return nil
	}
	node[last] = typedSetValue(raw)
	return nil
}

func typedSetValue(raw string) interface{} {
	if raw == "true" || raw == "false" {
		return raw == "true"
	}
	if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
		return n
	}
	return raw
}

// normalize gives values the types Helm's own loader gives them: YAML goes through JSON, so every number
// is a float64. That is why a chart must write `{{ .Values.n | int }}`: 1048576 prints as 1.048576e+06.
func normalize(value interface{}) interface{} {
	text, err := json.Marshal(value)
	if err != nil {
		panic(err)
	}
	var out interface{}
	if err := json.Unmarshal(text, &out); err != nil {
		panic(err)
	}
	return out
}

func deepCopy(value interface{}) interface{} { return normalize(value) }

// integralFloatsToInts makes whole floats ints before YAML output, as sigs.k8s.io/yaml (Helm's toYaml)
// writes 1048576 rather than yaml.v3's 1.048576e+06.
func integralFloatsToInts(value interface{}) interface{} {
	switch v := value.(type) {
	case map[string]interface{}:
		out := make(map[string]interface{}, len(v))
		for key, child := range v {
			out[key] = integralFloatsToInts(child)
		}
		return out
	case []interface{}:
		out := make([]interface{}, len(v))
		for i, child := range v {
			out[i] = integralFloatsToInts(child)
		}
		return out
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return int64(v)
		}
	}
	return value
}
