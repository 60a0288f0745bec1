package debug

import (
	"fmt"
	"os"

	"sigs.k8s.io/yaml"

	"github.com/velero-debug/velero-debug/internal/redact"
)

// rulesFile is the format of --redact-rules:
//
//	rules:
//	  - name: internal-token
//	    pattern: 'itk_[A-Za-z0-9]{32}'
//	    keywords: [itk_]          # optional: run the pattern only on lines holding one
//	literals:
//	  - the-database-password     # matched exactly
type rulesFile struct {
	Rules []struct {
		Name     string   `json:"name"`
		Pattern  string   `json:"pattern"`
		Keywords []string `json:"keywords"`
	} `json:"rules"`
	Literals []string `json:"literals"`
}

// redactionRules compiles the rules of a run: the defaults unless
// --no-default-redaction, plus those of --redact-rules.
func (o *Options) redactionRules() (*redact.Rules, error) {
	return compileRedactionRules(o.RedactRules, !o.NoDefaultRedaction)
}

// compileRedactionRules compiles the rules of the --redact-rules file (none
// when file is empty), plus the defaults when withDefaults.
func compileRedactionRules(file string, withDefaults bool) (*redact.Rules, error) {
	var f rulesFile
	if file != "" {
		data, err := os.ReadFile(file) //nolint:gosec // G304: the rules file is the user's choice
		if err != nil {
			return nil, fmt.Errorf("--redact-rules: %w", err)
		}
		if err := yaml.UnmarshalStrict(data, &f); err != nil {
			return nil, fmt.Errorf("--redact-rules %q: %w", file, err)
		}
	}
	extra := make([]redact.Rule, 0, len(f.Rules))
	for _, r := range f.Rules {
		extra = append(extra, redact.Rule{Name: r.Name, Pattern: r.Pattern, Keywords: r.Keywords})
	}
	rules, err := redact.Compile(extra, f.Literals, withDefaults)
	if err != nil {
		return nil, fmt.Errorf("--redact-rules %q: %w", file, err)
	}
	return rules, nil
}
