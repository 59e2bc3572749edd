#!/usr/bin/env python3
"""Soak-test site for scripts/soak.sh: N articles in section feeds of 1000 items,
a newsroom that edits random articles continuously, and a webhook receiver.

  /feed/K.xml      RSS 2.0 listing articles K*1000 .. K*1000+999
  /news/I          article I (its text grows by one paragraph per edit)
  POST /hook       webhook receiver (counts requests and distinct webhook-ids)
  /stats           JSON: requests served, edits made, webhooks received

Usage: soak_site.py ARTICLES EDITS_PER_MINUTE PORT_FILE
Writes the chosen port to PORT_FILE once listening. Standard library only.
"""
import json
import random
import sys
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARTICLES = int(sys.argv[1])
EDITS_PER_MINUTE = float(sys.argv[2])
PORT_FILE = sys.argv[3]
FEED_SIZE = 1000

START = time.time()
edits = [0] * ARTICLES
published = [START - random.randint(0, 6 * 3600) for _ in range(ARTICLES)]
lock = threading.Lock()
stats = {"requests": 0, "article_requests": 0, "edits": 0, "webhooks": 0, "webhook_ids": set()}

WORDS = ("council budget mayor river school bridge hospital police court election station park "
         "harbour museum library tram strike vote report inquiry").split()


def sentence(seed, n):
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def article(i):
    with lock:
        e = edits[i]
    paras = [sentence(i * 7 + k, 40) for k in range(4)]
    paras += ["Update %d: %s" % (k + 1, sentence(i * 1000 + k, 25)) for k in range(e)]
    body = "\n".join("<p>%s</p>" % p for p in paras)
    return ("<!doctype html><html lang=en><head><meta charset=utf-8><title>Story %d | Soak Times</title>"
            "<script type=application/ld+json>{\"@type\":\"NewsArticle\",\"headline\":\"Story %d\","
            "\"datePublished\":\"%s\"}</script></head><body><nav><a href=/>Home</a> <span>%s</span></nav>"
            "<article><h1>Story %d</h1>%s</article><aside>Most read: %d minutes ago</aside>"
            "<footer>Soak Times</footer></body></html>") % (
        i, i, iso(published[i]), formatdate(), i, body, int(time.time() - START) // 60)


def feed(k, host):
    items = "".join("<item><title>Story %d</title><link>http://%s/news/%d</link><pubDate>%s</pubDate></item>"
                    % (i, host, i, formatdate(published[i]))
                    for i in range(k * FEED_SIZE, min(ARTICLES, (k + 1) * FEED_SIZE)))
    return '<?xml version="1.0"?><rss version="2.0"><channel><title>Section %d</title>%s</channel></rss>' % (k, items)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, ctype, text):
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        with lock:
            stats["requests"] += 1
        host = self.headers.get("Host", "127.0.0.1")
        p = self.path
        if p.startswith("/news/"):
            with lock:
                stats["article_requests"] += 1
            try:
                i = int(p[6:])
            except ValueError:
                i = -1
            if 0 <= i < ARTICLES:
                return self.send(200, "text/html; charset=utf-8", article(i))
        elif p.startswith("/feed/") and p.endswith(".xml"):
            k = int(p[6:-4])
            return self.send(200, "application/rss+xml", feed(k, host))
        elif p == "/stats":
            with lock:
                s = dict(stats, webhook_ids=len(stats["webhook_ids"]))
            return self.send(200, "application/json", json.dumps(s))
        self.send(404, "text/plain", "not found")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        with lock:
            stats["webhooks"] += 1
            stats["webhook_ids"].add(self.headers.get("webhook-id", ""))
        self.send(200, "text/plain", "ok")


def newsroom():
    while True:
        time.sleep(60.0 / EDITS_PER_MINUTE if EDITS_PER_MINUTE > 0 else 3600)
        i = random.randrange(ARTICLES)
        with lock:
            edits[i] += 1
            stats["edits"] += 1


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
threading.Thread(target=newsroom, daemon=True).start()
with open(PORT_FILE, "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
