// Package reredact re-redacts a velero-debug bundle already written: for a
// value spotted after the fact (a host name, a password no rule knew), it
// streams every item of the bundle through a new set of rules into a new
// bundle, and leaves the input as it was.
//
//	res, err := reredact.Rewrite(ctx, "bundle.tar.gz", "redacted.tar.gz", reredact.Options{
//		Rules:  rules,                        // from redact.Compile
//		Bundle: bundle.Options{Scrub: scrub}, // how the new bundle is written
//		Record: map[string]any{"redactRules": "rules.yaml"},
//	})
//
// The input is read with package bundleread, which refuses a bundle that is
// not what its manifest says, and written with package bundle: as
// "<out>.partial", mode 0600, renamed when complete.
//
// # What the new bundle holds
//
// Every item keeps its path, type, status, error, truncated flag and
// duration. Its content is the input's, redacted again; bytes and sha256
// are those of the new content, and redactions are the input's counts plus
// the new ones, by rule. Sources and errors pass Options.Bundle.Scrub. Items
// without content (failed, skipped or cancelled before any byte arrived)
// stay without content. The manifest's tool, cluster, times, options and
// complete flag are the input's; its options gain, under OptionKey, a list
// of the re-redactions made, each described by Options.Record and the
// values it redacted, by rule. summary.md is written anew by package
// bundle, from the new manifest.
//
// Paths are not redacted: they are the bundle's layout, which other tools
// read. Result.PathMatches lists those where the rules find something.
//
// Re-redacting with rules a bundle already passed should change no content,
// as a marker is not a secret. An item whose content comes out unchanged
// keeps its counts: a rule that counts a marker it meets again replaced
// nothing.
//
// # Failures
//
// Any error, an interrupt included, leaves no output file: a bundle half
// re-redacted would be the one a user might share by mistake.
package reredact

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/velero-debug/velero-debug/internal/bundle"
	"github.com/velero-debug/velero-debug/internal/bundleread"
	"github.com/velero-debug/velero-debug/internal/redact"
)

// OptionKey is the manifest option that lists the re-redactions a bundle
// went through, oldest first.
const OptionKey = "reRedactions"

// Options configure Rewrite.
type Options struct {
	// Rules redact every item again; required.
	Rules *redact.Rules
	// Bundle is how the new bundle is written: Force, and Scrub for the
	// items' sources and errors.
	Bundle bundle.Options
	// Limits bound what reading the input may cost.
	Limits bundleread.Limits
	// Record describes this re-redaction in the new manifest, under
	// OptionKey (for example the tool's version and the rules file). Values
	// must be encodable as JSON; Rewrite adds "redactions".
	Record map[string]any
}

// Result is what Rewrite did.
type Result struct {
	// Manifest is the new bundle's manifest.
	Manifest bundle.Manifest
	// Added counts the values redacted now, by rule.
	Added map[string]int
	// Changed lists the items whose content changed, sorted.
	Changed []string
	// PathMatches lists the item paths in which the rules find a value:
	// paths are kept as they are.
	PathMatches []string
}

// Rewrite re-redacts the bundle at in into a new bundle at out. in is
// never written to. On any error no file is left at out, nor out's
// partial file; a cancelled ctx gives ctx's error.
func Rewrite(ctx context.Context, in, out string, opts Options) (Result, error) {
	if opts.Rules == nil {
		return Result{}, errors.New("reredact: no rules")
	}
	if same(in, out) {
		return Result{}, fmt.Errorf("%s is the input bundle: write the new bundle to another file", out)
	}
	if same(in, out+".partial") {
		return Result{}, fmt.Errorf("%s is the input bundle, and the new bundle is written there first: write it to another file (%w)", out+".partial", os.ErrExist)
	}
	src, err := bundleread.Open(ctx, in, opts.Limits)
	if err != nil {
		return Result{}, err
	}
	defer func() { _ = src.Close() }()
	w, err := bundle.Create(out, opts.Bundle)
	if err != nil {
		return Result{}, fmt.Errorf("creating the bundle %s: %w", out, err)
	}
	defer func() { _ = w.Discard() }() // a no-op once Close has run
	res := Result{Added: map[string]int{}}
	err = src.Each(ctx, func(it bundle.ManifestItem, content io.Reader) error {
		return rewriteItem(w, opts.Rules, it, content, &res)
	})
	if err != nil {
		return Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	if err := w.Close(meta(src.Manifest(), opts.Record, res.Added)); err != nil {
		return Result{}, fmt.Errorf("writing the bundle %s: %w", out, err)
	}
	res.Manifest = w.Manifest()
	slices.Sort(res.Changed)
	res.PathMatches = pathMatches(opts.Rules, res.Manifest.Items)
	return res, nil
}

// rewriteItem adds it to w, with content redacted by rules when it has
// some, and adds what changed to res.
func rewriteItem(w *bundle.Writer, rules *redact.Rules, it bundle.ManifestItem, content io.Reader, res *Result) error {
	e, err := w.Open(bundle.Item{Path: it.Path, Type: it.Type, Source: it.Source, Truncated: it.Truncated,
		OriginalBytes: it.OriginalBytes, KeptLines: it.KeptLines})
	if err != nil {
		return fmt.Errorf("adding %s: %w", it.Path, err)
	}
	e.SetDuration(time.Duration(it.DurationMs) * time.Millisecond)
	counts := maps.Clone(it.Redactions)
	if counts == nil {
		counts = map[string]int{}
	}
	if content != nil {
		added, sum, err := redactInto(e, rules, content)
		if err != nil {
			_ = e.Fail(err) // the whole bundle is discarded
			return err
		}
		// Content that comes out as it went in had no value replaced,
		// whatever a rule that met its own marker counted.
		if sum != it.SHA256 {
			res.Changed = append(res.Changed, it.Path)
			for rule, n := range added {
				counts[rule] += n
				res.Added[rule] += n
			}
		}
	}
	e.SetRedactions(counts)
	return finish(e, it)
}

// redactInto streams content through rules into e. It returns the counts
// and the hex sha256 of what it wrote.
func redactInto(e *bundle.Entry, rules *redact.Rules, content io.Reader) (map[string]int, string, error) {
	h := sha256.New()
	rw := rules.BufferedWriter(io.MultiWriter(e, h))
	if _, err := io.Copy(rw, content); err != nil {
		return nil, "", err
	}
	if err := rw.Close(); err != nil {
		return nil, "", err
	}
	return rw.Counts(), hex.EncodeToString(h.Sum(nil)), nil
}

// finish ends e with the status and error of it.
func finish(e *bundle.Entry, it bundle.ManifestItem) error {
	switch it.Status {
	case bundle.StatusOK:
		return e.Commit()
	case bundle.StatusSkipped:
		return e.Skip(it.Error)
	default:
		return e.Fail(recorded{msg: it.Error, cancelled: it.Status == bundle.StatusCancelled})
	}
}

// recorded is the error of an item that failed in the input bundle: its
// message, and whether it was cancelled.
type recorded struct {
	msg       string
	cancelled bool
}

func (r recorded) Error() string { return r.msg }

// Is makes a cancelled item's error context.Canceled, which the bundle
// writer records as cancelled.
func (r recorded) Is(target error) bool { return r.cancelled && target == context.Canceled }

// meta is the new bundle's: the input's, with this re-redaction appended to
// the options under OptionKey.
func meta(m bundle.Manifest, record map[string]any, added map[string]int) bundle.Meta {
	options := maps.Clone(m.Options)
	if options == nil {
		options = map[string]any{}
	}
	entry := maps.Clone(record)
	if entry == nil {
		entry = map[string]any{}
	}
	entry["redactions"] = added
	var list []any
	switch prev := options[OptionKey].(type) {
	case nil:
	case []any:
		list = slices.Clone(prev)
	default:
		list = []any{prev}
	}
	options[OptionKey] = append(list, entry)
	return bundle.Meta{
		Tool: m.Tool, Cluster: m.Cluster, Options: options,
		Started: m.Started, Finished: m.Finished, Complete: m.Complete, Budget: m.Budget,
	}
}

// same reports whether the files at a and b exist and are one file.
func same(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// pathMatches returns the paths in which rules find a value.
func pathMatches(rules *redact.Rules, items []bundle.ManifestItem) []string {
	var paths []string
	for _, it := range items {
		if _, counts := rules.Redact([]byte(it.Path)); len(counts) > 0 {
			paths = append(paths, it.Path)
		}
	}
	return paths
}
