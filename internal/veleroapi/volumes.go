package veleroapi

// VolumeKind is a data-path resource a node-agent works on for a backup or
// restore: a PodVolumeBackup or Restore, a DataUpload or DataDownload.
type VolumeKind struct {
	// Version and Resource name its API (group velero.io).
	Version, Resource string
	// Owner is the resource it works for, backups or restores; Label is
	// the label that names that backup or restore (see OwnerLabel).
	Owner, Label string
	// PodLabel is the label of the pod that moves its data, in Velero's
	// namespace, whose value is the operation's name: the data mover's
	// backup or restore pod, or (Velero 1.17 and later) the pod volume
	// exposer's pod.
	PodLabel string
}

// VolumeKinds are the data-path resources, in the order summaries list
// them.
var VolumeKinds = []VolumeKind{
	{Version: "v1", Resource: "podvolumebackups", Owner: "backups", Label: "velero.io/backup-name", PodLabel: "velero.io/pod-volume-backup"},
	{Version: "v1", Resource: "podvolumerestores", Owner: "restores", Label: "velero.io/restore-name", PodLabel: "velero.io/pod-volume-restore"},
	{Version: "v2alpha1", Resource: "datauploads", Owner: "backups", Label: "velero.io/backup-name", PodLabel: "velero.io/data-upload"},
	{Version: "v2alpha1", Resource: "datadownloads", Owner: "restores", Label: "velero.io/restore-name", PodLabel: "velero.io/data-download"},
}

// VolumeKindOf returns the data-path kind of resource, and whether it is
// one.
func VolumeKindOf(resource string) (VolumeKind, bool) {
	for _, k := range VolumeKinds {
		if k.Resource == resource {
			return k, true
		}
	}
	return VolumeKind{}, false
}

// NodeOf is the node of a volume operation: its status.node (a
// DataUpload, DataDownload or PodVolumeRestore, Velero 1.17 and later for
// the last), else its spec.node (a PodVolumeBackup), else the node that
// accepted it (status.acceptedByNode, Velero 1.16 and later), which runs
// its data mover pod before the operation has a node.
func NodeOf(statusNode, specNode, acceptedByNode string) string {
	for _, n := range []string{statusNode, specNode, acceptedByNode} {
		if n != "" {
			return n
		}
	}
	return ""
}
