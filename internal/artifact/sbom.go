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
	info                     *buildinfo.BuildInfo
}

// makeSBOM renders a CycloneDX 1.6 JSON document from the binary's build
// information: the main module, every dependency and the Go standard library
// (as the "stdlib" module at the toolchain version), with pkg:golang purls.
// It also returns the number of components. The same input gives the same
// bytes.
func makeSBOM(in sbomInput) ([]byte, int, error) {
	info := in.info
	mainVersion := info.Main.Version
	if mainVersion == "" || mainVersion == "(devel)" {
		// Built from a checkout: the release version is what was built.
		mainVersion = goVersionTag(in.version)
	}
	mainMod := goComponent(info.Main.Path, mainVersion, info.Main.Sum, cdx.ComponentTypeApplication)
	mainMod.Properties = &[]cdx.Property{
		{Name: "slipway:commit", Value: in.commit},
		{Name: "slipway:go:package", Value: info.Path},
	}
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
	var settings []cdx.Property
	for _, s := range info.Settings {
		settings = append(settings, cdx.Property{Name: "slipway:go:build:" + s.Key, Value: s.Value})
	}

	bom := cdx.NewBOM()
	bom.SerialNumber = "urn:uuid:" + uuid.NewSHA1(uuid.NameSpaceURL, []byte(image.PackageURL)).String()
	bom.Metadata = &cdx.Metadata{
		Timestamp: in.created.UTC().Format(time.RFC3339),
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{
			{Type: cdx.ComponentTypeApplication, Name: "slipway"},
		}},
		Component:  &image,
		Properties: &settings,
	}
	bom.Components = &components
	bom.Dependencies = &[]cdx.Dependency{
		{Ref: image.BOMRef, Dependencies: &[]string{mainMod.BOMRef}},
		{Ref: mainMod.BOMRef, Dependencies: &deps},
	}
	var buf bytes.Buffer
	enc := cdx.NewBOMEncoder(&buf, cdx.BOMFileFormatJSON).SetPretty(true)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return nil, 0, fmt.Errorf("encode sbom: %w", err)
	}
	return buf.Bytes(), len(components), nil
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
