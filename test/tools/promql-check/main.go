// promql-check parses Prometheus rule files and Grafana dashboards with Prometheus's own
// parsers (rulefmt and promql/parser, not promtool, which pulls in every service-discovery
// SDK) and prints, as JSON, every expression with the metric names it selects.
//
//	promql-check rules.yaml... -- dashboard.json...
//
// A PrometheusRule custom resource is read through its spec. Exit 1 on any parse error.
package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sort"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

var promql = parser.NewParser(parser.Options{})

type expression struct {
	Source  string   `json:"source"`
	Name    string   `json:"name"`
	Expr    string   `json:"expr"`
	Metrics []string `json:"metrics"`
}

func main() {
	var out []expression
	failed := false
	dashboards := false
	for _, file := range os.Args[1:] {
		if file == "--" {
			dashboards = true
			continue
		}
		var found []expression
		var errs []error
		if dashboards {
			found, errs = dashboard(file)
		} else {
			found, errs = ruleFile(file)
		}
		for _, err := range errs {
			fmt.Fprintf(os.Stderr, "%s: %v\n", file, err)
			failed = true
		}
		out = append(out, found...)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
	if failed {
		os.Exit(1)
	}
}

func ruleFile(file string) ([]expression, []error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, []error{err}
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, []error{err}
	}
	if doc["kind"] == "PrometheusRule" {
		if raw, err = yaml.Marshal(doc["spec"]); err != nil {
			return nil, []error{err}
		}
	}
	// Legacy name validation: the names must also be valid for Prometheus servers older than 3.
	groups, errs := rulefmt.Parse(raw, false, model.LegacyValidation, promql, slog.New(slog.DiscardHandler))
	if len(errs) > 0 {
		return nil, errs
	}
	var out []expression
	for _, group := range groups.Groups {
		for _, rule := range group.Rules {
			name := rule.Alert
			if name == "" {
				name = rule.Record
			}
			metrics, err := metricsOf(rule.Expr)
			if err != nil {
				return nil, []error{fmt.Errorf("%s: %w", name, err)}
			}
			out = append(out, expression{Source: file, Name: name, Expr: rule.Expr, Metrics: metrics})
		}
	}
	return out, nil
}

func dashboard(file string) ([]expression, []error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, []error{err}
	}
	var doc struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, []error{err}
	}
	var out []expression
	var errs []error
	for _, panel := range doc.Panels {
		for _, target := range panel.Targets {
			metrics, err := metricsOf(target.Expr)
			if err != nil {
				errs = append(errs, fmt.Errorf("panel %q: %w", panel.Title, err))
				continue
			}
			out = append(out, expression{Source: file, Name: panel.Title, Expr: target.Expr, Metrics: metrics})
		}
	}
	return out, errs
}

// metricsOf parses expr and returns the metric names its selectors name, sorted and unique.
func metricsOf(expr string) ([]string, error) {
	parsed, err := promql.ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	parser.Inspect(parsed, func(node parser.Node, _ []parser.Node) error {
		if selector, ok := node.(*parser.VectorSelector); ok && selector.Name != "" {
			seen[selector.Name] = true
		}
		return nil
	})
	metrics := make([]string, 0, len(seen))
	for name := range seen {
		metrics = append(metrics, name)
	}
	sort.Strings(metrics)
	return metrics, nil
}
