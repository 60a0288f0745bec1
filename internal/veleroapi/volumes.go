package veleroapi

// VolumeKind is a data-path resource a node-agent works on for a backup or
// restore: a PodVolumeBackup or Restore, a DataUpload or DataDownload.
type VolumeKind struct {
	// Version and Resource name its API (group velero.io).
	Version, Resource string
	// Owner is the resource it works for, backups or restores; Label is
	// the label that names that backup or restore (see OwnerLabel).
	Owner, Label string
}

// VolumeKinds are the data-path resources, in the order summaries list
// them.
var VolumeKinds = []VolumeKind{
	{Version: "v1", Resource: "podvolumebackups", Owner: "backups", Label: "velero.io/backup-name"},
	{Version: "v1", Resource: "podvolumerestores", Owner: "restores", Label: "velero.io/restore-name"},
	{Version: "v2alpha1", Resource: "datauploads", Owner: "backups", Label: "velero.io/backup-name"},
	{Version: "v2alpha1", Resource: "datadownloads", Owner: "restores", Label: "velero.io/restore-name"},
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
