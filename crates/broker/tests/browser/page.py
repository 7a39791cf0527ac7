"""Drives the broker's web page in headless Chromium (Debian's chromium + chromium-driver,
through Selenium): signs in with a token, reads the roles table, fetches keys, switches
the export snippet between shells, and takes a screenshot. Prints what it saw as JSON.

usage: page.py BROKER_URL TOKEN SCREENSHOT.png
"""
import json
import shutil
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

url, token, shot = sys.argv[1:4]
opts = webdriver.ChromeOptions()
opts.binary_location = shutil.which("chromium")
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,900"):
    opts.add_argument(a)
# The driver from Debian, matching the browser: Selenium Manager would try to download one.
driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
seen = {}
try:
    wait = WebDriverWait(driver, 20)
    driver.get(url)
    wait.until(ec.visibility_of_element_located((By.ID, "token")))
    # A wrong token first: the page says why, and stays on the sign-in form.
    driver.find_element(By.ID, "token").send_keys("tcb_000000000000_00000000000000000000000000000000")
    driver.find_element(By.CSS_SELECTOR, "#signin-form button").click()
    wait.until(lambda d: d.find_element(By.ID, "signin-error").text)
    seen["bad_token_error"] = driver.find_element(By.ID, "signin-error").text
    driver.find_element(By.ID, "token").clear()
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.CSS_SELECTOR, "#signin-form button").click()
    wait.until(ec.visibility_of_element_located((By.ID, "roles")))
    seen["who"] = driver.find_element(By.ID, "who").text
    rows = driver.find_elements(By.CSS_SELECTOR, "#role-rows tr")
    seen["roles"] = [r.find_element(By.TAG_NAME, "td").text for r in rows]
    seen["windows"] = [r.find_elements(By.TAG_NAME, "td")[3].text for r in rows]
    buttons = driver.find_elements(By.LINK_TEXT, "Open console")
    seen["console_buttons"] = [b.get_attribute("href") for b in buttons if b.is_displayed()]
    rows[0].find_element(By.XPATH, ".//button[text()='Get keys']").click()
    wait.until(ec.visibility_of_element_located((By.ID, "keys")))
    wait.until(lambda d: d.find_element(By.ID, "k-id").text)
    seen["key_id"] = driver.find_element(By.ID, "k-id").text
    seen["keys_visible"] = all(driver.find_element(By.ID, i).is_displayed() for i in ("k-id", "k-secret", "k-token"))
    seen["countdown"] = driver.find_element(By.ID, "countdown").text
    seen["snippets"] = {}
    for sh in ("bash", "fish", "powershell"):
        driver.find_element(By.CSS_SELECTOR, f"[data-shell='{sh}']").click()
        seen["snippets"][sh] = driver.find_element(By.ID, "snippet").text
    driver.save_screenshot(shot)
    # The token is in an HttpOnly cookie: page scripts cannot read it.
    seen["document_cookie"] = driver.execute_script("return document.cookie")
finally:
    driver.quit()
print(json.dumps(seen))
