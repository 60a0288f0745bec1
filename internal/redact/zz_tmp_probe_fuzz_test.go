package redact

import "testing"

func FuzzTmpProbeInvariants(f *testing.F) {
	for _, s := range []string{"a: 1\nb:\n- x\n", `{"a":"b"}`, "password=x\n", "level=info msg=\"x\"\n"} {
		f.Add(s, uint16(0), uint16(0), uint8(3))
	}
	f.Fuzz(newInvariants(nil).check)
}

func FuzzTmpProbeEmbedded(f *testing.F) {
	for _, s := range []string{"a: 1\nb:\n- x\n", `{"a":"b"}`, "password=x\n", "level=info msg=\"x\"\n"} {
		f.Add(s, uint8(3))
	}
	f.Fuzz(checkEmbedded)
}
