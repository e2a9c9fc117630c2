"""Fetching: the browser, politeness, retries and deadlines."""

from auditor.crawl.browser import BrowserFetcher, FetchedPage
from auditor.crawl.install import install_browser
from auditor.crawl.crawler import CrawlJob, CrawlPolicy, ItemLink, SearchPageRead, crawl

__all__ = ["BrowserFetcher", "CrawlJob", "CrawlPolicy", "FetchedPage", "ItemLink", "SearchPageRead", "crawl", "install_browser"]
