"""A customer manages an endpoint in the portal, in headless Chromium (Debian's).

Run by tests/integration/portal_browser.rs, which starts the server and a receiver whose
--good URL answers 200 and --bad URL 500, and passes the platform's key (the script mints the
sessions and publishes events with it, as the platform would). Prints what the Rust test checks
afterwards (the secrets shown and the events published) as `NAME value` lines, and exits non-zero,
saying what it saw, when the page does not behave:
  1. the page's own JavaScript tests pass;
  2. with "manage": the customer adds an endpoint and sees its secret once; a published event is
     delivered and shown; the endpoint, edited to fail, shows the failed attempts and the chart
     moves; edited back, "Recover" delivers the failed one; a rotation shows the new secret;
     a test event, a pause and a resume; a delete;
  3. a read-only session shows no way to change anything;
  4. another tenant's webhook named in the address shows nothing of it;
  5. in an iframe on an origin the session allows, the page works, with the session's logo and
     colours; on one it does not allow, it is refused.
Screenshots of each page go to --artifacts.
"""

import argparse
import datetime
import functools
import http.server
import os
import sys
import threading
import time
import urllib.parse

import requests
from selenium.common.exceptions import NoSuchElementException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from browser import browser

PAGE_SOURCE = os.path.join(os.path.dirname(__file__), "..", "shared", "src", "api", "portal")


class Embedder(http.server.SimpleHTTPRequestHandler):
    """Another origin: a platform page framing the portal, a logo, and the page's JS tests."""

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path == "/embed":
            src = urllib.parse.parse_qs(url.query)["src"][0]
            body = (f'<!doctype html><title>Platform app</title><h1>Platform app</h1>'
                    f'<iframe id="portal" title="Webhooks" src="{src}" width="1200" height="1400">'
                    f'</iframe>').encode()
            return self.answer(body, "text/html")
        if url.path == "/logo.svg":
            body = (b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40">'
                    b'<rect width="120" height="40" fill="#ffd700"/></svg>')
            return self.answer(body, "image/svg+xml")
        return super().do_GET()

    def answer(self, body, kind):
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Portal:
    def __init__(self, a, driver):
        self.a, self.d = a, driver
        self.wait = WebDriverWait(driver, 30)
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {a.key}"

    def session(self, **body):
        r = self.http.post(f"{self.a.base}/v1/portal-sessions", json=body)
        assert r.status_code == 201, r.text
        return r.json()

    def publish(self, n):
        r = self.http.post(f"{self.a.base}/v1/events",
                           json={"type": "order.paid", "data": {"order": n}})
        assert r.status_code in (200, 201, 202), r.text
        return r.json()["id"]

    def by_id(self, id_):
        return self.d.find_element(By.ID, id_)

    def click(self, id_):
        self.wait.until(ec.element_to_be_clickable((By.ID, id_))).click()

    def fill(self, id_, text):
        field = self.by_id(id_)
        field.clear()
        field.send_keys(text)

    def status_says(self, text):
        self.wait.until(lambda d: text in d.find_element(By.ID, "status").text)

    def shot(self, name):
        self.d.save_screenshot(os.path.join(self.a.artifacts, f"portal-{name}.png"))

    def row(self, event, status):
        """Refreshes the log until the delivery of `event` shows `status`."""
        deadline = time.time() + 40
        while time.time() < deadline:
            self.click("refresh")
            time.sleep(0.5)
            rows = self.d.find_elements(By.CSS_SELECTOR, f'tr[data-event="{event}"]')
            if rows and status in rows[0].text:
                return rows[0]
        raise AssertionError(f"the delivery of {event} never showed {status!r}")

    def chart_failures(self):
        """Failed deliveries in the chart's table (the figures behind the bars)."""
        return sum(int(tr.find_elements(By.TAG_NAME, "td")[1].get_attribute("textContent"))
                   for tr in self.d.find_elements(By.CSS_SELECTOR, "#chart-data tbody tr"))

    def secret_once(self):
        secret = self.wait.until(ec.visibility_of_element_located((By.ID, "secret-value"))).text
        assert secret.startswith("whsec_"), secret
        return secret

    def dismiss_secret(self, secret):
        self.click("secret-done")
        self.wait.until(lambda d: not d.find_element(By.ID, "secret").is_displayed())
        assert secret not in self.d.page_source, "the secret stays on the page"

    def edit_url(self, url):
        self.click("edit")
        self.fill("ed-url", url)
        self.click("ed-save")
        self.status_says("Endpoint saved.")
        self.wait.until(lambda d: d.find_element(By.ID, "webhook-url").text == url)


def javascript_tests(p, origin):
    p.d.get(f"{origin}/test/form.test.html")
    results = p.wait.until(lambda d: d.find_element(By.ID, "results").text or None)
    assert results.startswith("PASS"), f"the page's JavaScript tests: {results}"
    print(f"page JavaScript tests: {results}")


def manage(p, started):
    s = p.session(capabilities=["retry", "manage"],
                  appearance={"theme": "dark", "brand_color": "#ffd700"})
    p.d.get(s["url"])
    p.wait.until(lambda d: "session=" not in d.current_url)
    p.status_says("0 endpoints")
    # The session's colours: a dark page, and the brand colour with legible (black) text on it.
    assert p.d.execute_script("return document.documentElement.dataset.theme") == "dark"
    add = p.by_id("add-endpoint")
    assert add.value_of_css_property("background-color") in ("rgba(255, 215, 0, 1)", "rgb(255, 215, 0)"), \
        add.value_of_css_property("background-color")
    assert add.value_of_css_property("color") in ("rgba(0, 0, 0, 1)", "rgb(0, 0, 0)")
    p.shot("manage-empty")

    # Add an endpoint: URL, description, an event type from the catalogue, a custom header.
    p.click("add-endpoint")
    p.fill("ed-url", p.a.good)
    p.fill("ed-description", "Orders")
    p.d.find_element(By.CSS_SELECTOR, '#ed-events input[value="order.paid"]').click()
    p.fill("ed-headers", "X-Shop: north")
    # A bad filter is refused with the field named, and nothing is created.
    p.fill("ed-filter", "{not json")
    p.click("ed-save")
    problem = p.wait.until(ec.visibility_of_element_located((By.ID, "editor-error")))
    assert problem.text.startswith("filter:"), problem.text
    p.fill("ed-filter", "")
    p.click("ed-save")
    first = p.secret_once()
    p.shot("manage-secret")
    print(f"SECRET_BEFORE {first}")
    p.dismiss_secret(first)
    p.wait.until(lambda d: d.find_element(By.ID, "webhook-url").text == p.a.good)
    summary = p.by_id("webhook-summary").text
    assert "order.paid" in summary and "X-Shop" in summary, summary

    # A delivery arrives and shows in the log.
    e1 = p.publish(1)
    print(f"EVENT_DELIVERED {e1}")
    p.row(e1, "succeeded")

    # The endpoint fails: the attempts show, and the chart's failed figures move.
    p.edit_url(p.a.bad)
    e2 = p.publish(2)
    print(f"EVENT_RECOVERED {e2}")
    row = p.row(e2, "failed")
    row.find_element(By.CSS_SELECTOR, "button[data-delivery]").click()
    p.wait.until(lambda d: d.find_element(By.ID, "delivery").is_displayed())
    attempts = p.d.find_elements(By.CSS_SELECTOR, "#attempts li")
    assert attempts and all("HTTP 500" in li.text for li in attempts), [li.text for li in attempts]
    # What was sent, the custom header's value masked, the signature as sent.
    sent = attempts[0].find_element(By.CSS_SELECTOR, "details[data-headers]")
    sent.find_element(By.TAG_NAME, "summary").click()
    assert "x-shop: ********" in sent.text and "webhook-signature: v1," in sent.text, sent.text
    assert "north" not in sent.text
    # The statistics are counted as deliveries settle: the chart shows the failure soon after.
    deadline = time.time() + 20
    while p.chart_failures() < 1:
        assert time.time() < deadline, "the chart shows no failed delivery"
        p.click("refresh")
        time.sleep(0.5)
    p.shot("manage-failing")
    # The week: 168 hours in the chart, holding the same failure.
    p.click("span-week")
    p.wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#chart-data tbody tr")) == 168)
    assert "Last 7 days" in p.by_id("chart-span").text
    assert p.chart_failures() >= 1, "the week's chart shows no failed delivery"
    p.shot("manage-week")
    p.click("span-day")
    p.wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#chart-data tbody tr")) == 24)

    # Fixed, then recovered since the test began: the failed delivery goes again and succeeds.
    p.edit_url(p.a.good)
    local = started.astimezone().strftime("%Y-%m-%dT%H:%M:%S")
    p.d.execute_script(f'document.getElementById("recover-since").value = "{local}"')
    p.click("recover")
    p.status_says("Recovering: 1 failed delivery queued again.")
    p.row(e2, "succeeded")

    # Rotate with a grace period: the new secret, once; both sign during the grace period.
    p.fill("grace", "1")
    p.click("rotate")
    second = p.secret_once()
    assert second != first
    assert "both signatures until" in p.by_id("secret-note").text, p.by_id("secret-note").text
    p.shot("manage-rotated")
    print(f"SECRET_AFTER {second}")
    p.dismiss_secret(second)
    e3 = p.publish(3)
    print(f"EVENT_ROTATED {e3}")
    p.row(e3, "succeeded")

    p.click("send-test")
    p.status_says("Test event")
    p.click("pause")
    p.status_says("Endpoint paused")
    p.wait.until(lambda d: "paused by you" in d.find_element(By.ID, "webhook-summary").text)
    p.click("pause")
    p.status_says("Endpoint resumed.")
    p.wait.until(lambda d: d.find_element(By.ID, "pause").text == "Pause")
    webhook = p.d.find_element(By.CSS_SELECTOR, "[data-webhook]").get_attribute("data-webhook")
    print(f"WEBHOOK {webhook}")
    return s, e1


def read_only(p, e1):
    s = p.session(capabilities=["read"])
    p.d.execute_script("sessionStorage.clear()")
    p.d.get(s["url"])
    p.wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, f'tr[data-event="{e1}"]')))
    assert not p.by_id("add-endpoint").is_displayed(), "a read-only session may add endpoints"
    for id_ in ("edit", "rotate", "delete", "recover"):
        assert not p.d.find_elements(By.ID, id_), f"a read-only session shows #{id_}"
    p.d.find_element(By.CSS_SELECTOR, f'tr[data-event="{e1}"] button[data-delivery]').click()
    p.wait.until(lambda d: d.find_element(By.ID, "delivery").is_displayed())
    assert not p.by_id("retry").is_displayed(), "a read-only session may retry"
    p.shot("read-only")
    # And the API refuses it, whatever a page would send.
    r = requests.post(f"{p.a.base}/v1/webhooks", json={"url": p.a.good},
                      headers={"Authorization": f"Bearer {s['token']}"})
    assert r.status_code == 403 and r.json()["error"]["required_scope"] == "webhooks:write", r.text
    print("read-only session: no controls; the API answers 403")


def foreign_webhook(p, s):
    url = s["url"].replace("#", f"&webhook={p.a.foreign}#")
    p.d.execute_script("sessionStorage.clear()")
    p.d.get(url)
    problem = p.wait.until(ec.visibility_of_element_located((By.ID, "problem")))
    assert "No such endpoint" in problem.text, problem.text
    assert p.a.foreign_text not in p.d.page_source, "another tenant's endpoint is shown"
    print("another tenant's webhook in the address: nothing shown")


def delete(p, s):
    p.d.execute_script("sessionStorage.clear()")
    p.d.get(s["url"])
    p.click("delete")
    p.wait.until(lambda d: "click again" in d.find_element(By.ID, "delete").text)
    p.click("delete")
    p.status_says("Endpoint deleted.")
    p.wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, "[data-webhook]"))
    print("deleted from the page")


def framed(p, origin):
    allowed = p.session(frame_ancestors=[origin],
                        appearance={"logo_url": f"{origin}/logo.svg", "theme": "light"})
    p.d.execute_script("sessionStorage.clear()")
    p.d.get(f"{origin}/embed?src={urllib.parse.quote(allowed['url'], safe='')}")
    p.d.switch_to.frame(p.wait.until(ec.presence_of_element_located((By.ID, "portal"))))
    p.wait.until(lambda d: d.find_element(By.ID, "status").text.endswith("endpoints")
                 or d.find_element(By.ID, "status").text.endswith("endpoint"))
    logo = p.by_id("logo")
    p.wait.until(lambda d: d.execute_script("return arguments[0].naturalWidth", logo) > 0)
    p.d.switch_to.default_content()
    p.shot("framed")
    print("framed on an allowed origin: works, logo shown")

    refused = p.session(frame_ancestors=["https://elsewhere.example"])
    p.d.get(f"{origin}/embed?src={urllib.parse.quote(refused['url'], safe='')}")
    p.d.switch_to.frame(p.wait.until(ec.presence_of_element_located((By.ID, "portal"))))
    time.sleep(2)
    try:
        p.d.find_element(By.ID, "status")
        raise AssertionError("the page rendered in a frame its session does not allow")
    except NoSuchElementException:
        pass
    p.d.switch_to.default_content()
    p.shot("framed-refused")
    print("framed on another origin: refused")


def main():
    ap = argparse.ArgumentParser()
    for name in ("base", "key", "good", "bad", "foreign", "foreign-text", "artifacts"):
        ap.add_argument(f"--{name}", required=True)
    a = ap.parse_args()
    started = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
    failure = os.path.join(a.artifacts, "portal-manage-failure.png")
    if os.path.exists(failure):
        os.remove(failure)

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Embedder, directory=os.path.abspath(PAGE_SOURCE)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # `localhost`, where the portal is on 127.0.0.1: another origin.
    origin = f"http://localhost:{server.server_address[1]}"
    driver = browser(height=1800)
    p = Portal(a, driver)
    try:
        javascript_tests(p, origin)
        s, e1 = manage(p, started)
        read_only(p, e1)
        foreign_webhook(p, s)
        delete(p, s)
        framed(p, origin)
    except (AssertionError, TimeoutException) as e:
        p.shot("manage-failure")
        print(f"portal check failed: {e!r}\nstatus: {driver.find_element(By.ID, 'status').text!r}"
              if driver.find_elements(By.ID, "status") else f"portal check failed: {e!r}",
              file=sys.stderr)
        print(driver.page_source[:4000], file=sys.stderr)
        sys.exit(1)
    finally:
        driver.quit()
        server.shutdown()


if __name__ == "__main__":
    main()
