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
	var f rulesFile
	if o.RedactRules != "" {
		data, err := os.ReadFile(o.RedactRules)
		if err != nil {
			return nil, fmt.Errorf("--redact-rules: %w", err)
		}
		if err := yaml.UnmarshalStrict(data, &f); err != nil {
			return nil, fmt.Errorf("--redact-rules %q: %w", o.RedactRules, err)
		}
	}
	extra := make([]redact.Rule, 0, len(f.Rules))
	for _, r := range f.Rules {
		extra = append(extra, redact.Rule{Name: r.Name, Pattern: r.Pattern, Keywords: r.Keywords})
	}
	rules, err := redact.Compile(extra, f.Literals, !o.NoDefaultRedaction)
	if err != nil {
		return nil, fmt.Errorf("--redact-rules %q: %w", o.RedactRules, err)
	}
	return rules, nil
}
