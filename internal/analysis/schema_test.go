package analysis

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSchemaDocumented: every JSON field of a Report is named in
// docs/inspect.md, which documents `inspect -o json` for machines.
func TestSchemaDocumented(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "inspect.md"))
	require.NoError(t, err)
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(ty reflect.Type) {
		for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice {
			ty = ty.Elem()
		}
		if ty.Kind() != reflect.Struct || seen[ty] {
			return
		}
		seen[ty] = true
		for f := range ty.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			require.Contains(t, string(doc), "`"+name+"`", "docs/inspect.md says nothing of %s.%s (json %q)", ty.Name(), f.Name, name)
			walk(f.Type)
		}
	}
	walk(reflect.TypeFor[Report]())
}
