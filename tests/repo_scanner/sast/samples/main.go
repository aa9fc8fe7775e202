package main

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/tls"
	"database/sql"
	"fmt"
	"net/http"
	"os/exec"

	"github.com/redis/go-redis/v9"
)

func findUser(db *sql.DB, name string) (*sql.Rows, error) {
	db.Query("SELECT * FROM users WHERE name = ?", name)
	return db.Query(fmt.Sprintf("SELECT * FROM users WHERE name = '%s'", name))
}

func deleteUser(db *sql.DB, name string) {
	db.Exec("DELETE FROM users WHERE name = '" + name + "'")
}

func ping(host string) ([]byte, error) {
	exec.Command("ping", "-c", "1", host)
	return exec.Command("sh", "-c", "ping -c 1 "+host).Output()
}

func client() *http.Client {
	_ = redis.NewClient(&redis.Options{Addr: "cache:6379", Password: "r3dis-Passw0rd"})
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
}

func sum(data []byte) ([16]byte, [32]byte) {
	return md5.Sum(data), sha256.Sum256(data)
}

func main() {}
