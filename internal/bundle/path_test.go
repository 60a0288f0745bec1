package bundle

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestInvalidPaths(t *testing.T) {
	t.Parallel()
	for _, p := range []string{
		"", ".", "..", "../etc/passwd", "a/../../b", "/etc/passwd", "a//b", "./a", "a/./b",
		"a/", "a/..", "a/../b", `a\b`, "a\x00b",
	} {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			w, _, _ := create(t, Options{})
			_, err := w.Open(Item{Path: p})
			require.ErrorIs(t, err, ErrInvalidPath)
			require.ErrorIs(t, w.AddBytes(Item{Path: p}, nil), ErrInvalidPath)
		})
	}
}

func TestValidPaths(t *testing.T) {
	t.Parallel()
	w, _, _ := create(t, Options{})
	for _, p := range []string{"a", "a.b", "..a", "a..", "x/b/c.log", "logs/ns/pod/c.previous.log", "_cluster/x.json"} {
		require.NoError(t, w.AddBytes(Item{Path: p}, nil), p)
	}
}

func TestDuplicatePaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		first, second string
	}{
		{"same path", "logs/a.log", "logs/a.log"},
		{"file then folder", "logs/a", "logs/a/b.log"},
		{"folder then file", "logs/a/b.log", "logs/a"},
		{"deep folder then file", "logs/a/b/c.log", "logs/a"},
		{"manifest.json is reserved", "", "manifest.json"},
		{"summary.md is reserved", "", "summary.md"},
		{"reserved file as folder", "", "manifest.json/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, _, _ := create(t, Options{})
			if tt.first != "" {
				require.NoError(t, w.AddError(Item{Path: tt.first}, nil))
			}
			_, err := w.Open(Item{Path: tt.second})
			require.ErrorIs(t, err, ErrDuplicatePath)
		})
	}
}
