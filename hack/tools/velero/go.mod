// Module velero pins Velero for the tests: its CRDs (velero.io v1 and
// v2alpha1) come from this module's source.
module github.com/velero-debug/velero-debug/hack/tools/velero

go 1.25.0

require github.com/vmware-tanzu/velero v1.18.3
