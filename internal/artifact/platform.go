package artifact

import (
	"bytes"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/binary"
	"os"
	"runtime"
)

// platform reads the operating system, architecture and format of an executable
// that carries no Go build information: ELF, Mach-O, PE, or a script ("#!"), which
// runs where it is built and gets this machine's platform. Unknown formats do too.
func platform(path string) (goos, goarch, format string) {
	if f, err := elf.Open(path); err == nil {
		defer f.Close()
		goos = "linux"
		if f.OSABI == elf.ELFOSABI_FREEBSD {
			goos = "freebsd"
		}
		return goos, elfArch(f), "elf"
	}
	if f, err := macho.Open(path); err == nil {
		defer f.Close()
		return "darwin", machoArch(f.Cpu), "mach-o"
	}
	if f, err := pe.Open(path); err == nil {
		defer f.Close()
		arch := map[uint16]string{pe.IMAGE_FILE_MACHINE_AMD64: "amd64", pe.IMAGE_FILE_MACHINE_ARM64: "arm64", pe.IMAGE_FILE_MACHINE_I386: "386"}[f.Machine]
		return "windows", orHost(arch, runtime.GOARCH), "pe"
	}
	head := make([]byte, 2)
	if fh, err := os.Open(path); err == nil {
		defer fh.Close()
		if n, _ := fh.Read(head); n == 2 && bytes.Equal(head, []byte("#!")) {
			return runtime.GOOS, runtime.GOARCH, "script"
		}
	}
	return runtime.GOOS, runtime.GOARCH, "unknown"
}

func elfArch(f *elf.File) string {
	switch f.Machine {
	case elf.EM_X86_64:
		return "amd64"
	case elf.EM_AARCH64:
		return "arm64"
	case elf.EM_386:
		return "386"
	case elf.EM_ARM:
		return "arm"
	case elf.EM_RISCV:
		return "riscv64"
	case elf.EM_S390:
		return "s390x"
	case elf.EM_PPC64:
		if f.ByteOrder == binary.LittleEndian {
			return "ppc64le"
		}
		return "ppc64"
	}
	return runtime.GOARCH
}

func machoArch(cpu macho.Cpu) string {
	switch cpu {
	case macho.CpuAmd64:
		return "amd64"
	case macho.CpuArm64:
		return "arm64"
	}
	return runtime.GOARCH
}

func orHost(v, host string) string {
	if v == "" {
		return host
	}
	return v
}
