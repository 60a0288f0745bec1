// Package serve serves a velero-debug bundle as a read-only Kubernetes
// API, so that kubectl (and, later, the Velero CLI) can be pointed at a
// user's bundle: discovery of the resources the bundle holds, get and
// list of every object with label and field selectors, Tables with the
// columns a real API server prints (a CRD's additionalPrinterColumns, the
// usual columns of pods, nodes, events and workloads), watches that send
// nothing, and pods' logs with their options.
//
// A bundle is untrusted input: Load reads it through package bundleread,
// as a stream, once; its objects are kept in memory as the JSON the bundle
// holds, its logs and Velero's files are copied to files of the caller's
// private folder (named by number, never by the archive's paths) and read
// on request. Nothing is written anywhere else.
//
//	b, _ := bundleread.Open(ctx, path, bundleread.Limits{})
//	store, _ := serve.Load(ctx, b, dir)
//	http.Serve(listener, serve.Handler(store))
package serve
