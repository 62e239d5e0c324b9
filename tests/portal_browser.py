"""Drives the customer portal in headless Chromium (Debian's, through its chromedriver).

Run by tests/integration/portal.rs, which starts the server, publishes an event whose
delivery failed, and mints the sessions. Exits non-zero, saying what it saw, when the page
does not behave:
  1. the session URL shows the endpoint, the failed delivery of --event with its attempts,
     and the event catalogue with each type's example and schema;
     "Retry now" makes a new attempt that appears on the page with HTTP 200 (screenshot saved);
     the log searched from a later time shows nothing, and everything again once cleared;
  2. each --refused URL (an expired session, an unknown one) shows no endpoint and says the
     link is not valid;
  3. the --foreign URL (another tenant's session) never shows --private-text.
"""

import argparse
import sys

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from browser import browser


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--event", required=True)
    ap.add_argument("--screenshot", required=True)
    ap.add_argument("--refused", action="append", default=[])
    ap.add_argument("--foreign")
    ap.add_argument("--private-text")
    a = ap.parse_args()

    driver = browser()
    wait = WebDriverWait(driver, 30)
    try:
        driver.get(a.url)
        # The key left the address bar as soon as the page read it.
        wait.until(lambda d: "session=" not in d.current_url)
        row = wait.until(ec.presence_of_element_located(
            (By.CSS_SELECTOR, f'tr[data-event="{a.event}"]')))
        # The endpoint's custom headers are listed by name; their values are not shown.
        summary = driver.find_element(By.ID, "webhook-summary").text
        assert "X-Api-Key" in summary, summary
        assert "portal-secret-value" not in driver.page_source, "a header value is shown"
        assert "Authentication" in summary and "bearer" in summary, summary
        assert "1234" not in summary, "no part of the credential is shown"
        # The event catalogue: each type, its example and its schema (built-in types included).
        failed_type = wait.until(ec.presence_of_element_located(
            (By.CSS_SELECTOR, 'li[data-type="hookline.delivery.failed"]')))
        for part in failed_type.find_elements(By.TAG_NAME, "summary"):
            part.click()
        assert "delivery_id" in failed_type.text, failed_type.text
        assert "Schema" in failed_type.text and '"type": "object"' in failed_type.text, \
            failed_type.text
        # The payload filter, as written.
        assert "Filter" in summary and '"$gt":10' in summary, summary
        # The rate limit, and how often it held a delivery back.
        assert "Rate limit" in summary and "20/s" in summary, summary
        assert "Held back by the limit" in summary, summary
        assert "Ordering" in summary and "FIFO" in summary, summary
        assert "failed" in row.text, f"the delivery should show as failed: {row.text!r}"
        row.find_element(By.CSS_SELECTOR, "button[data-delivery]").click()
        wait.until(lambda d: d.find_element(By.ID, "delivery").is_displayed())
        attempts = driver.find_elements(By.CSS_SELECTOR, "#attempts li")
        before = len(attempts)
        assert before >= 1 and all("HTTP 500" in li.text for li in attempts), \
            [li.text for li in attempts]
        assert any(li.find_elements(By.TAG_NAME, "pre") for li in attempts), \
            "each attempt shows the response excerpt"
        # What went wrong and what Hookline did next, in words; how long the record is kept.
        assert all("a failure: retried on the schedule" in li.text for li in attempts), \
            [li.text for li in attempts]
        assert "Kept until" in driver.find_element(By.ID, "delivery-summary").text
        # The chart and its table are there.
        assert driver.find_elements(By.CSS_SELECTOR, "#chart svg rect"), "no chart"
        driver.find_element(By.ID, "retry").click()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#attempts li")) > before)
        last = driver.find_elements(By.CSS_SELECTOR, "#attempts li")[-1]
        assert "HTTP 200" in last.text and "retried by hand" in last.text, last.text
        wait.until(lambda d: "succeeded" in d.find_element(
            By.CSS_SELECTOR, f'tr[data-event="{a.event}"]').text)
        status = driver.find_element(By.ID, "status").text
        assert "Retried: HTTP 200" in status, status
        # The log searched by time: from a moment after the event, nothing; cleared, it is back.
        driver.execute_script('document.getElementById("filter-since").value = "2099-01-01T00:00:00"')
        driver.find_element(By.CSS_SELECTOR, "#filters button[type=submit]").click()
        wait.until(lambda d: d.find_element(By.ID, "log-empty").is_displayed())
        driver.execute_script('document.getElementById("filter-since").value = ""')
        driver.find_element(By.CSS_SELECTOR, "#filters button[type=submit]").click()
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, f'tr[data-event="{a.event}"]')))
        driver.save_screenshot(a.screenshot)
        print(f"retried from the page: attempt {before + 1} answered 200; screenshot {a.screenshot}")

        for url in a.refused:
            driver.execute_script("sessionStorage.clear()")
            driver.get(url)
            problem = wait.until(ec.visibility_of_element_located((By.ID, "problem")))
            assert "expired or is not valid" in problem.text, problem.text
            assert not driver.find_elements(By.CSS_SELECTOR, "[data-webhook]"), \
                "a refused session listed endpoints"
            print("refused session: shows nothing and says so")

        if a.foreign:
            driver.execute_script("sessionStorage.clear()")
            driver.get(a.foreign)
            wait.until(lambda d: d.find_element(By.ID, "status").text.endswith("endpoint")
                       or d.find_element(By.ID, "status").text.endswith("endpoints"))
            assert a.private_text not in driver.page_source, \
                "another tenant's session showed this tenant's endpoint"
            print("foreign session: sees only its own tenant")
    except (AssertionError, TimeoutException) as e:
        driver.save_screenshot(a.screenshot.replace(".png", "-failure.png"))
        print(f"portal check failed: {e!r}\nstatus: "
              f"{driver.find_element(By.ID, 'status').text!r}", file=sys.stderr)
        print(driver.page_source[:4000], file=sys.stderr)
        sys.exit(1)
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
