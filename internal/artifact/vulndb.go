package artifact

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// EnvVulnDB is the environment variable naming the OSV database directory when
// the configuration names none.
const EnvVulnDB = "SLIPWAY_VULNDB"

// vulnDB is an OSV database directory in one of the two layouts govulncheck
// reads with -db file:///dir.
type vulnDB struct {
	dir      string
	v1       bool      // index/db.json, index/modules.json, ID/<id>.json (vuln.go.dev)
	modified time.Time // index/db.json's modified, or the newest entry's
	count    int
}

// openVulnDB checks dir and reads what the report says about it. A v1 database
// is recognised by index/modules.json, as govulncheck does; anything else must
// be a flat directory of <id>.json entries.
func openVulnDB(dir string) (vulnDB, error) {
	db := vulnDB{dir: dir}
	if _, err := os.Stat(filepath.Join(dir, "index", "modules.json")); err == nil {
		db.v1 = true
		var meta struct {
			Modified time.Time `json:"modified"`
		}
		if err := readJSONFile(filepath.Join(dir, "index", "db.json"), &meta); err != nil {
			return db, err
		}
		var vulns []json.RawMessage
		if err := readJSONFile(filepath.Join(dir, "index", "vulns.json"), &vulns); err != nil {
			return db, err
		}
		db.modified, db.count = meta.Modified, len(vulns)
		return db, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return db, err
	}
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".json" {
			continue
		}
		var entry struct {
			ID       string    `json:"id"`
			Modified time.Time `json:"modified"`
		}
		if err := readJSONFile(filepath.Join(dir, e.Name()), &entry); err != nil {
			return db, fmt.Errorf("%s is not OSV JSON: %w", e.Name(), err)
		}
		if entry.ID == "" || e.Name() != entry.ID+".json" {
			return db, fmt.Errorf("%s holds OSV id %q: name each file <ID>.json (or give a database with index/db.json, index/modules.json and ID/, as in vuln.go.dev's vulndb.zip)", e.Name(), entry.ID)
		}
		if entry.Modified.After(db.modified) {
			db.modified = entry.Modified
		}
		db.count++
	}
	return db, nil
}

// entry returns the raw OSV record of id.
func (db vulnDB) entry(id string) ([]byte, error) {
	if db.v1 {
		return os.ReadFile(filepath.Join(db.dir, "ID", id+".json"))
	}
	return os.ReadFile(filepath.Join(db.dir, id+".json"))
}

func readJSONFile(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
