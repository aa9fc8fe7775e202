const { exec } = require("child_process");
const crypto = require("crypto");
const https = require("https");
const mysql = require("mysql");

const db = mysql.createConnection({ host: "db", user: "app", password: "s3cr3t-Passw0rd" });

function user(req, res) {
  db.query("SELECT * FROM users WHERE id = " + req.query.id, (err, rows) => res.json(rows));
  db.query(`SELECT * FROM orders WHERE user = '${req.query.user}'`);
  db.query("SELECT * FROM users WHERE id = ?", [req.query.id]);
}

function ping(host) {
  exec("ping -c 1 " + host);
  exec("uptime");
}

const agent = new https.Agent({ rejectUnauthorized: false });

function compute(expr) {
  const fn = new Function("a", "b", expr);
  return eval(expr) + fn(1, 2);
}

function fingerprint(data) {
  crypto.createHash("sha256").update(data);
  return crypto.createHash("md5").update(data).digest("hex");
}

module.exports = { user, ping, agent, compute, fingerprint };
