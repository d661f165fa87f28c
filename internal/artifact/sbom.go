package artifact

import (
	"bytes"
	"debug/buildinfo"
	"fmt"
	"net/url"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/uuid"
)

// sbomInput is what the SBOM describes.
type sbomInput struct {
	service, version, commit string
	digest                   digest
	created                  time.Time
	info                     *buildinfo.BuildInfo // nil for a binary that is not Go
	// How a binary built by a command (BuildInput.Run) was made, and what it is.
	run, binary, format, goos, goarch, sha256 string
}

// makeSBOM renders a CycloneDX 1.6 JSON document from the binary's build
// information: the main module, every dependency and the Go standard library
// (as the "stdlib" module at the toolchain version), with pkg:golang purls.
// A binary without Go build information is described by what can be known:
// one application component with its SHA-256, format, platform and the
// command that built it. It also returns the number of components. The same
// input gives the same bytes.
func makeSBOM(in sbomInput) ([]byte, int, error) {
	var components []cdx.Component
	var settings []cdx.Property
	if in.info != nil {
		components, settings = goComponents(in)
	} else {
		components = []cdx.Component{binaryComponent(in)}
	}
	mainMod := components[0]
	deps := make([]string, 0, len(components)-1)
	for _, c := range components[1:] {
		deps = append(deps, c.BOMRef)
	}

	image := cdx.Component{
		BOMRef:     ociPURL(in.service, in.version, in.digest),
		Type:       cdx.ComponentTypeContainer,
		Name:       in.service,
		Version:    in.version,
		PackageURL: ociPURL(in.service, in.version, in.digest),
		Hashes:     &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: in.digest.hex}},
	}
	bom := cdx.NewBOM()
	bom.SerialNumber = "urn:uuid:" + uuid.NewSHA1(uuid.NameSpaceURL, []byte(image.PackageURL)).String()
	bom.Metadata = &cdx.Metadata{
		Timestamp: in.created.UTC().Format(time.RFC3339),
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{
			{Type: cdx.ComponentTypeApplication, Name: "slipway"},
		}},
		Component: &image,
	}
	if len(settings) > 0 {
		bom.Metadata.Properties = &settings
	}
	bom.Components = &components
	graph := []cdx.Dependency{{Ref: image.BOMRef, Dependencies: &[]string{mainMod.BOMRef}}}
	if in.info != nil {
		// Only Go build information lists the binary's dependencies; for any other
		// binary they are unknown, which CycloneDX says by leaving them out.
		graph = append(graph, cdx.Dependency{Ref: mainMod.BOMRef, Dependencies: &deps})
	}
	bom.Dependencies = &graph
	var buf bytes.Buffer
	enc := cdx.NewBOMEncoder(&buf, cdx.BOMFileFormatJSON).SetPretty(true)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return nil, 0, fmt.Errorf("encode sbom: %w", err)
	}
	return buf.Bytes(), len(components), nil
}

// goComponents lists the main module, its dependencies and the standard library
// from the Go build information, and the build settings as properties.
func goComponents(in sbomInput) ([]cdx.Component, []cdx.Property) {
	info := in.info
	mainVersion := info.Main.Version
	if mainVersion == "" || mainVersion == "(devel)" {
		// Built from a checkout: the release version is what was built.
		mainVersion = goVersionTag(in.version)
	}
	mainMod := goComponent(info.Main.Path, mainVersion, info.Main.Sum, cdx.ComponentTypeApplication)
	props := []cdx.Property{
		{Name: "slipway:commit", Value: in.commit},
		{Name: "slipway:go:package", Value: info.Path},
	}
	props = append(props, commandProperties(in)...)
	mainMod.Properties = &props
	components := []cdx.Component{mainMod}
	for _, dep := range info.Deps {
		m := dep
		if dep.Replace != nil {
			m = dep.Replace
		}
		c := goComponent(m.Path, m.Version, m.Sum, cdx.ComponentTypeLibrary)
		if dep.Replace != nil {
			c.Properties = &[]cdx.Property{{Name: "slipway:go:replaces", Value: dep.Path + "@" + dep.Version}}
		}
		components = append(components, c)
	}
	components = append(components, goComponent("stdlib", stdlibVersion(info.GoVersion), "", cdx.ComponentTypeLibrary))
	var settings []cdx.Property
	for _, s := range info.Settings {
		settings = append(settings, cdx.Property{Name: "slipway:go:build:" + s.Key, Value: s.Value})
	}
	return components, settings
}

// binaryComponent describes an executable without Go build information: its
// dependencies cannot be read from it, so the SBOM says what it is and how it was
// made, and its hash pins it.
func binaryComponent(in sbomInput) cdx.Component {
	purl := "pkg:generic/" + purlEscape(in.service) + "@" + purlEscape(in.version)
	props := []cdx.Property{
		{Name: "slipway:commit", Value: in.commit},
		{Name: "slipway:binary:format", Value: in.format},
		{Name: "slipway:binary:platform", Value: in.goos + "/" + in.goarch},
	}
	props = append(props, commandProperties(in)...)
	return cdx.Component{
		BOMRef:     purl,
		Type:       cdx.ComponentTypeApplication,
		Name:       in.service,
		Version:    in.version,
		PackageURL: purl,
		Hashes:     &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: in.sha256}},
		Properties: &props,
	}
}

// commandProperties name the build command and the file it produced, when a
// command built the binary.
func commandProperties(in sbomInput) []cdx.Property {
	if in.run == "" {
		return nil
	}
	return []cdx.Property{
		{Name: "slipway:build:run", Value: in.run},
		{Name: "slipway:build:binary", Value: in.binary},
	}
}

func goComponent(path, version, sum string, typ cdx.ComponentType) cdx.Component {
	purl := golangPURL(path, version)
	c := cdx.Component{
		BOMRef:     purl,
		Type:       typ,
		Name:       path,
		Version:    version,
		PackageURL: purl,
	}
	if sum != "" {
		c.Properties = &[]cdx.Property{{Name: "slipway:go:sum", Value: sum}}
	}
	return c
}

// golangPURL is pkg:golang/<module path>@<version>; the path keeps its case
// (module paths are case sensitive) and each segment is escaped.
func golangPURL(path, version string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = purlEscape(s)
	}
	p := "pkg:golang/" + strings.Join(segs, "/")
	if version != "" {
		p += "@" + purlEscape(version)
	}
	return p
}

func ociPURL(service, version string, d digest) string {
	return "pkg:oci/" + purlEscape(service) + "@" + purlEscape(d.String()) + "?tag=" + url.QueryEscape(version)
}

// purlEscape percent-encodes a purl name segment or version; unlike a URL
// path, a purl also encodes ':'.
func purlEscape(s string) string {
	return strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
}

// stdlibVersion turns "go1.26.8" (possibly followed by experiment notes) into
// the module-style "v1.26.8".
func stdlibVersion(goVersion string) string {
	v, _, _ := strings.Cut(goVersion, " ")
	return "v" + strings.TrimPrefix(v, "go")
}

// goVersionTag turns a release version "1.12.0" into the Go module form
// "v1.12.0"; versions that already start with "v" are kept.
func goVersionTag(v string) string {
	if strings.HasPrefix(v, "v") {
		return v
	}
	return "v" + v
}
