"""Headless Chromium (Debian's, through its chromedriver) for the portal's browser checks."""

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def browser(height=1600):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size=1280,{height}"):
        options.add_argument(arg)
    return webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
