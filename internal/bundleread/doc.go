// Package bundleread reads a velero-debug bundle that anyone may have
// written: a tar.gz file whose entries live under velero-bundle/ and are
// listed in its manifest.json (see package bundle for the contract). The
// archive is untrusted input. It is read as a stream, never extracted, and
// checked whole before any of it is used.
//
//	b, err := bundleread.Open(ctx, "bundle.tar.gz", bundleread.Limits{})
//	if err != nil { ... } // errors.Is(err, bundleread.ErrInvalid) for a bad bundle
//	defer b.Close()
//	m := b.Manifest()
//	err = b.Each(ctx, func(item bundle.ManifestItem, content io.Reader) error { ... })
//
// # Two reads
//
// manifest.json is written last, when the bundle is closed, so Open reads
// the archive once to its end: it checks every header, hashes every file and
// decodes the manifest, then checks the files against the manifest. Each
// reads it a second time and hands every item with its content, checked
// again as it streams past, so that a file changed between the two reads is
// refused too.
//
// # What is refused
//
// An error names the entry or item at fault and wraps ErrInvalid:
//
//   - a file that is not gzip, or a tar stream that is damaged;
//   - an entry outside velero-bundle/, with an absolute path, a ".." or "."
//     segment, a backslash or a NUL byte, or a name longer than 1024 bytes;
//   - an entry that is neither a regular file nor a folder: symbolic and hard
//     links, devices, FIFOs, and every other tar type;
//   - the same path twice, or a path that is both a file and a folder;
//   - an archive that decompresses to more than Limits.MaxBytes, or whose
//     files announce more than that, or with more than Limits.MaxEntries
//     entries: a gzip bomb costs a bounded amount of time and no disk;
//   - manifest.json missing, larger than Limits.MaxManifestBytes, or not one
//     JSON object with exactly the manifest's fields;
//   - a manifest item with a bad or reserved path, a path listed twice, an
//     unknown status, negative sizes, durations or counts, a duration too
//     long for a time.Duration, a skipped item with content, or a sha256 that
//     is not 64 lowercase hex digits (or not empty, for an item without
//     content);
//   - a file that the manifest does not list, an item with content but no
//     file (or a file but no content), and a file whose size or sha256 is not
//     the manifest's.
//
// summary.md is checked like any item when the manifest lists it (bundles
// of this version do); a bundle of an earlier version has it unlisted,
// which is allowed. Each does not hand it over: it is the bundle's own
// file, written anew by whoever writes a bundle from this one.
package bundleread
