package clean

import (
	"crypto/sha256"
	"crypto/tls"
	"database/sql"
	"os"
	"os/exec"
)

func find(db *sql.DB, name string) (*sql.Rows, error) {
	exec.Command("ls", "-l", name)
	_ = &tls.Config{MinVersion: tls.VersionTLS12}
	_ = sha256.Sum256([]byte(name))
	_ = os.Getenv("DB_PASSWORD")
	return db.Query("SELECT * FROM users WHERE name = $1", name)
}
