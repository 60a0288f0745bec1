package veleroapi

// The phases of Backups and Restores that a bundle may hold, from Velero
// 1.7 to 1.18, and what each says of the files Velero keeps in object
// storage. Backups and restores share their names; only backups are queued
// (Queued and ReadyToStart, Velero 1.18, with status.queuePosition).
const (
	PhaseNew                                       = "New"
	PhaseQueued                                    = "Queued"
	PhaseReadyToStart                              = "ReadyToStart"
	PhaseInProgress                                = "InProgress"
	PhaseWaitingForPluginOperations                = "WaitingForPluginOperations"
	PhaseWaitingForPluginOperationsPartiallyFailed = "WaitingForPluginOperationsPartiallyFailed"
	PhaseFinalizing                                = "Finalizing"
	PhaseFinalizingPartiallyFailed                 = "FinalizingPartiallyFailed"
	PhaseCompleted                                 = "Completed"
	PhasePartiallyFailed                           = "PartiallyFailed"
	PhaseFailed                                    = "Failed"
	PhaseFailedValidation                          = "FailedValidation"
	PhaseDeleting                                  = "Deleting"
)

// Failed reports whether phase is the end of a backup or restore that
// failed, wholly or in part.
func Failed(phase string) bool {
	return phase == PhaseFailed || phase == PhasePartiallyFailed || phase == PhaseFailedValidation
}

// Terminal reports whether a backup or restore in phase has ended: Velero
// does no more for it (but delete a backup).
func Terminal(phase string) bool {
	return phase == PhaseCompleted || Failed(phase)
}

// Running reports whether a backup or restore in phase has not ended:
// the phases of Velero's work, of every version, and a phase it does not
// know yet, such as one of a later Velero, is not one of them.
func Running(phase string) bool {
	switch phase {
	case "", PhaseNew, PhaseQueued, PhaseReadyToStart, PhaseInProgress,
		PhaseWaitingForPluginOperations, PhaseWaitingForPluginOperationsPartiallyFailed,
		PhaseFinalizing, PhaseFinalizingPartiallyFailed:
		return true
	}
	return false
}

// Uploaded reports whether Velero has uploaded the files of a backup or
// restore in phase to object storage: its log, results, item operations,
// resource list and volume information. Velero uploads them when its main
// pass ends, before it shows the phase that follows (WaitingForPlugin-
// Operations*, Finalizing* or an end); it uploads none for a backup or
// restore that failed validation. A Failed one may have failed before or
// while it uploaded them.
func Uploaded(phase string) bool {
	switch phase {
	case "", PhaseNew, PhaseQueued, PhaseReadyToStart, PhaseInProgress, PhaseFailedValidation:
		return false
	}
	return true
}

// PartiallyFailing reports whether a backup or restore in phase has
// errors already and goes on: it will end PartiallyFailed.
func PartiallyFailing(phase string) bool {
	return phase == PhaseWaitingForPluginOperationsPartiallyFailed || phase == PhaseFinalizingPartiallyFailed
}
