package process

import (
	"os"
	"path/filepath"
	"testing"
)

func TestAvailableMemory(t *testing.T) {
	for _, tt := range []struct {
		name, meminfo string
		want          float64
		ok            bool
	}{
		{"linux", "MemTotal:       24576000 kB\nMemFree:         1000 kB\nMemAvailable:   2048 kB\n", 2048 * 1024, true},
		{"no MemAvailable (old kernel)", "MemTotal: 1 kB\nMemFree: 1 kB\n", 0, false},
		{"garbled", "MemAvailable: lots kB\n", 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			if err := os.WriteFile(filepath.Join(root, "meminfo"), []byte(tt.meminfo), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := availableMemory(root)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("availableMemory = %v, %v; want %v (ok %v)", got, err, tt.want, tt.ok)
			}
		})
	}
	if v, err := AvailableMemory(); err != nil || v <= 0 {
		t.Errorf("this machine's available memory = %v, %v", v, err)
	}
}
