const { execFile } = require("child_process");
const crypto = require("crypto");

function user(db, id) {
  return db.query("SELECT * FROM users WHERE id = ?", [id]);
}

function list(dir) {
  execFile("ls", ["-l", dir]);
  return crypto.createHash("sha256").update(dir).digest("hex");
}

module.exports = { user, list, config: { password: process.env.DB_PASSWORD } };
