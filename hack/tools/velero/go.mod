// Module velero pins Velero for the tests: its CRDs (velero.io v1 and
// v2alpha1) come from this module's source, and the CSI snapshot CRDs
// (snapshot.storage.k8s.io) that clusters with CSI snapshots serve from
// the external-snapshotter's client module.
module github.com/velero-debug/velero-debug/hack/tools/velero

go 1.26.0

require (
	github.com/kubernetes-csi/external-snapshotter/client/v8 v8.4.0
	github.com/vmware-tanzu/velero v1.18.3
)
