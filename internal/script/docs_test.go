package script

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDocsUpToDate fails when docs/starlark.md is not what the generator
// writes.
func TestDocsUpToDate(t *testing.T) {
	got, err := os.ReadFile("../../docs/starlark.md")
	require.NoError(t, err, "run: go run ./internal/script/gendoc")
	if string(got) != string(Reference()) {
		t.Fatal("docs/starlark.md is out of date: run go run ./internal/script/gendoc from the module root")
	}
}

// TestEveryMemberDocumented checks that the velero module is its table:
// every member has a signature and a paragraph, and the package doc and
// the reference name it.
func TestEveryMemberDocumented(t *testing.T) {
	e := newEvaluator(context.Background(), Options{})
	mod := e.module()
	var names []string
	for _, m := range members {
		names = append(names, m.name)
		assert.True(t, strings.HasPrefix(m.signature, "velero."+m.name), "signature of %s: %s", m.name, m.signature)
		assert.NotEmpty(t, m.doc, m.name)
	}
	got := mod.AttrNames()
	slices.Sort(got)
	slices.Sort(names)
	assert.Equal(t, names, got)

	pkgDoc, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	ref := string(Reference())
	for _, m := range members {
		assert.Contains(t, string(pkgDoc), "velero."+m.name, "doc.go lists every member")
		assert.Contains(t, ref, "### `velero."+m.name+"`")
	}
	assert.Contains(t, ref, string(defaultPlan), "the reference shows the default plan verbatim")
}
