#!/usr/bin/python3
"""web_check.py: pksync's pages in a real browser (headless Chromium
driven by Selenium through chromedriver).

    web_check.py --url http://127.0.0.1:PORT --shots DIR --profile DIR
        --name WORDS --email ADDR --expect KEYID
        --keyfile FILE.asc --new-fpr FPR --new-email ADDR

Opens the front page, searches by name and by e-mail address with the
search form (--expect: the 16-hex key ID both searches must list),
opens the key from the result (its op=get link, and its op=vindex link
when the listing has one; the verbose index also through the form),
submits the armored key in --keyfile through the submit form, then finds
it (--new-email) and checks that it is the key with --new-fpr; follows
the link to the stats page, and the link from the front page to the sync
page, where each peer of --sync-peers ("NAME=STATE,...") must be listed
with its state and drawn in the SVG picture.  Each
page is saved as a PNG in --shots; the front page is also drawn at a
phone's width and must not scroll sideways.  Load times (Navigation
Timing: navigation start to the end of the load event) of the front
page and of a result page are measured over several loads.

Output, one line each, read by tests/integration/web.sh:
    PASS <check>
    FAIL <check> :: <why>
    DIAG <text>
    DONE
Uses Debian's /usr/bin/python3 (python3-selenium), chromium and
chromium-driver.  The browser gets a fresh profile in --profile and the
flags that keep it off the network.
"""
import argparse
import os
import statistics
import sys
import time
import traceback
import urllib.parse

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
DRIVER = "/usr/bin/chromedriver"
LOADS = 7  # page loads per timing

FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--disable-extensions",
    "--disable-default-apps", "--no-default-browser-check",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
    "--proxy-server=direct://", "--proxy-bypass-list=*",
    "--window-size=1280,900",
]


def out(kind, text):
    print(kind, text.replace("\n", " "), flush=True)


class Check:
    def __init__(self, args, driver):
        self.a = args
        self.d = driver
        self.shot_no = 0
        self.failed = 0

    def result(self, name, cond, why=""):
        if cond:
            out("PASS", name)
        else:
            self.failed += 1
            out("FAIL", "%s :: %s" % (name, why))
        return cond

    def shot(self, label):
        self.shot_no += 1
        path = os.path.join(self.a.shots, "%02d-%s.png" % (self.shot_no,
                                                           label))
        ok = self.d.save_screenshot(path)
        self.result("screenshot %s" % os.path.basename(path),
                    ok and os.path.getsize(path) > 1000, "not written")

    def wait_title(self, text):
        WebDriverWait(self.d, 20).until(EC.title_contains(text))

    def load_ms(self):
        """Navigation start to the end of the load event of the page
        now shown, in ms (Navigation Timing Level 2)."""
        return self.d.execute_script(
            "const n = performance.getEntriesByType('navigation')[0];"
            "return n ? n.loadEventEnd - n.startTime : -1;")

    def body(self):
        return self.d.find_element(By.TAG_NAME, "body").text

    def front(self):
        self.d.get(self.a.url + "/")
        self.wait_title("OpenPGP keyserver")
        self.result("front page: title", "OpenPGP keyserver" in self.d.title,
                    self.d.title)
        forms = self.d.find_elements(By.TAG_NAME, "form")
        actions = sorted(urllib.parse.urlparse(f.get_attribute("action")).path
                         for f in forms)
        self.result("front page: a search form and a submit form",
                    actions == ["/pks/add", "/pks/lookup"], str(actions))
        css = self.d.execute_script(
            "return getComputedStyle(document.body).maxWidth;")
        self.result("front page: the stylesheet is applied",
                    css not in ("none", "", None), "max-width %s" % css)
        links = [a.get_attribute("href") for a in
                 self.d.find_elements(By.CSS_SELECTOR, "nav a")]
        self.result("front page: links to the stats page",
                    any("op=stats" in (h or "") for h in links), str(links))

    def search(self, text, op="index", fingerprint=False):
        """Fill in the search form of the front page and submit it."""
        self.d.get(self.a.url + "/")
        self.wait_title("OpenPGP keyserver")
        box = self.d.find_element(By.ID, "search")
        box.clear()
        box.send_keys(text)
        self.d.find_element(
            By.CSS_SELECTOR, "input[name=op][value=%s]" % op).click()
        if fingerprint:
            self.d.find_element(By.NAME, "fingerprint").click()
        self.d.find_element(
            By.CSS_SELECTOR, "form[action$='/pks/lookup'] button").click()
        WebDriverWait(self.d, 20).until(
            lambda d: "/pks/lookup" in d.current_url)

    def search_lists(self, label, text):
        self.search(text)
        self.wait_title("Search results")
        q = urllib.parse.parse_qs(
            urllib.parse.urlparse(self.d.current_url).query)
        self.result("search by %s: the form asks op=index" % label,
                    q.get("op") == ["index"] and q.get("search") == [text],
                    self.d.current_url)
        self.result("search by %s lists key %s" % (label, self.a.expect),
                    self.a.expect in self.body(), self.body()[:300])
        self.shot("search-" + label)

    def key_links(self, op):
        sel = "a[href*='op=%s']" % op
        return [a for a in self.d.find_elements(By.CSS_SELECTOR, sel)
                if self.a.expect in (a.get_attribute("href") or "")
                or self.a.expect in a.text]

    def open_key(self):
        self.search(self.a.expect_search)
        self.wait_title("Search results")
        gets = self.key_links("get")
        if not self.result("result page links the key to op=get",
                           len(gets) > 0, "no op=get link"):
            return
        vindex = self.key_links("vindex")
        gets[0].click()
        self.wait_title("Public keys")
        self.result("op=get link: the armored key",
                    "BEGIN PGP PUBLIC KEY BLOCK" in self.body(),
                    self.body()[:200])
        self.shot("key-get")
        if vindex:
            self.d.back()
            self.wait_title("Search results")
            self.key_links("vindex")[0].click()
            self.wait_title("Search results")
            self.result("op=vindex link: signatures listed",
                        "sig" in self.body(), self.body()[:200])
            self.shot("key-vindex-link")
        else:
            out("DIAG", "the result page has no op=vindex link per key")
        self.search("0x" + self.a.expect, op="vindex", fingerprint=True)
        self.wait_title("Search results")
        body = self.body()
        self.result("verbose index through the form: signatures and "
                    "fingerprint",
                    "sig" in body and "Key fingerprint =" in body,
                    body[:300])
        self.shot("key-vindex")

    def submit(self):
        with open(self.a.keyfile) as f:
            armor = f.read()
        self.d.get(self.a.url + "/")
        self.wait_title("OpenPGP keyserver")
        area = self.d.find_element(By.ID, "keytext")
        area.send_keys(armor)
        self.d.find_element(
            By.CSS_SELECTOR, "form[action$='/pks/add'] button").click()
        self.wait_title("Key submission")
        body = self.body()
        self.result("submit form: the key is new",
                    ("new 0x" + self.a.new_fpr) in body, body[:300])
        self.shot("submitted")
        back = self.d.find_elements(By.LINK_TEXT,
                                    "Submit another key or search")
        self.result("submission page: a way back to the front page",
                    len(back) == 1, "no link back")
        links = self.d.find_elements(
            By.CSS_SELECTOR, "li a[href*='op=vindex']")
        if self.result("submission page links the new key",
                       len(links) == 1, "%d links" % len(links)):
            links[0].click()
            self.wait_title("Search results")
            self.result("the link shows the new key",
                        self.a.new_email in self.body(), self.body()[:200])

    def find_new(self):
        self.search(self.a.new_email, fingerprint=True)
        self.wait_title("Search results")
        body = self.body().replace(" ", "")
        self.result("the submitted key is found by its e-mail address",
                    self.a.new_fpr in body.upper(), body[:300])
        self.shot("found-new")

    def phone(self):
        self.d.set_window_size(390, 844)
        self.d.get(self.a.url + "/")
        self.wait_title("OpenPGP keyserver")
        sw = self.d.execute_script(
            "return [document.documentElement.scrollWidth,"
            " document.documentElement.clientWidth];")
        self.result("front page on a phone: no sideways scrolling",
                    sw[0] <= sw[1], "scrollWidth %d > clientWidth %d"
                    % tuple(sw))
        self.shot("front-phone")
        self.search(self.a.name)
        self.wait_title("Search results")
        self.shot("search-phone")
        self.d.set_window_size(1280, 900)

    def stats(self):
        self.d.get(self.a.url + "/")
        self.wait_title("OpenPGP keyserver")
        self.d.find_element(By.LINK_TEXT, "Statistics").click()
        self.wait_title("statistics")
        self.result("the Statistics link opens the stats page",
                    "Total number of keys" in self.body(), self.body()[:200])
        self.shot("stats")

    def sync(self):
        self.d.get(self.a.url + "/")
        self.wait_title("OpenPGP keyserver")
        self.d.find_element(By.LINK_TEXT, "how keys travel").click()
        self.wait_title("How keys travel")
        self.result("the front page links the sync page",
                    self.d.current_url.endswith("/pks/sync"),
                    self.d.current_url)
        rows = {}
        for tr in self.d.find_elements(By.CSS_SELECTOR,
                                       "#mail-peers tr, #recon-peers tr"):
            cells = [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
            if len(cells) >= 2:
                rows[cells[0]] = cells[1]
        svg = self.d.find_elements(By.CSS_SELECTOR, "svg text")
        drawn = " ".join(t.text for t in svg)
        for pair in self.a.sync_peers.split(","):
            name, state = pair.rsplit("=", 1)
            self.result("sync page: %s listed as %s" % (name, state),
                        rows.get(name) == state, str(rows))
            self.result("sync page: %s drawn with its state" % name,
                        name in drawn and (state + ":") in drawn, drawn[:300])
        pics = self.d.find_elements(By.TAG_NAME, "svg")
        if pics:
            self.d.execute_script("arguments[0].scrollIntoView();", pics[0])
        self.shot("sync")
        self.d.get(self.a.url + "/pks/lookup?op=stats")
        self.wait_title("statistics")
        self.d.find_element(By.LINK_TEXT, "Synchronisation").click()
        self.wait_title("How keys travel")
        self.result("the stats page links the sync page",
                    self.d.current_url.endswith("/pks/sync"),
                    self.d.current_url)

    def timing(self, label, url):
        times = []
        for _ in range(LOADS):
            self.d.get(url)
            WebDriverWait(self.d, 20).until(
                lambda d: d.execute_script(
                    "return document.readyState") == "complete")
            times.append(self.load_ms())
        ok = all(t > 0 for t in times)
        self.result("load time of the %s measured" % label, ok, str(times))
        if ok:
            out("DIAG", "load time %s: first %.1f ms, median %.1f ms, "
                "max %.1f ms (%d loads)" % (label, times[0],
                                            statistics.median(times),
                                            max(times), LOADS))
            self.result("the %s loads in under 2 s (median)" % label,
                        statistics.median(times) < 2000, str(times))


def start(args):
    opts = Options()
    opts.binary_location = CHROMIUM
    for f in FLAGS:
        opts.add_argument(f)
    opts.add_argument("--user-data-dir=" + args.profile)
    service = Service(executable_path=DRIVER,
                      log_path=os.path.join(args.shots, "chromedriver.log"))
    return webdriver.Chrome(service=service, options=opts)


def main():
    p = argparse.ArgumentParser()
    for name in ("url", "shots", "profile", "name", "email", "expect",
                 "keyfile", "new-fpr", "new-email", "sync-peers"):
        p.add_argument("--" + name, required=True)
    a = p.parse_args()
    a.expect = a.expect.upper()
    a.new_fpr = a.new_fpr.upper()
    a.expect_search = a.email
    os.makedirs(a.shots, exist_ok=True)
    t0 = time.time()
    try:
        d = start(a)
    except WebDriverException as e:
        out("FAIL", "start chromium :: %s" % str(e).splitlines()[0])
        out("DONE", "")
        return 1
    out("DIAG", "chromium started in %.1f s: %s" % (
        time.time() - t0, d.capabilities.get("browserVersion", "?")))
    c = Check(a, d)
    steps = (c.front, lambda: c.shot("front"),
             lambda: c.search_lists("name", a.name),
             lambda: c.search_lists("e-mail", a.email),
             c.open_key, c.submit, c.find_new, c.stats, c.sync, c.phone,
             lambda: c.timing("front page", a.url + "/"),
             lambda: c.timing("result page", a.url +
                              "/pks/lookup?op=index&search=" +
                              urllib.parse.quote(a.name)))
    try:
        for step in steps:
            try:
                step()
            except WebDriverException as e:
                c.result("browser step %s" % getattr(step, "__name__", "?"),
                         False, str(e).splitlines()[0])
                out("DIAG", "page: %s" % d.current_url)
    except Exception:  # report it as a failure, then stop the browser
        c.result("web_check ran to the end", False,
                 traceback.format_exc().splitlines()[-1])
    finally:
        d.quit()
    out("DONE", "")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
