package veleroapi

import (
	"crypto/sha256"
	"encoding/hex"

	"k8s.io/apimachinery/pkg/util/validation"
)

// OwnerLabel is the value Velero gives the labels that name a backup or
// restore (velero.io/backup-name, velero.io/restore-name) on the objects
// it makes for it: the name, or, past the 63 characters a label value may
// hold, its first 57 and 6 hex digits of its SHA-256 (Velero's
// label.GetValidName).
func OwnerLabel(name string) string {
	const limit = validation.LabelValueMaxLength
	if len(name) <= limit {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return name[:limit-6] + hex.EncodeToString(sum[:])[:6]
}
