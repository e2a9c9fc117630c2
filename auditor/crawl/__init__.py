"""Fetching: plain HTTP and the browser (local or remote), politeness, retries, deadlines, the address policy,
and the background tasks beside a crawl. All of the concurrency of a run lives here.

May import the shared vocabulary only (config, models, errors, values); never sites/, rules/, the store or above.
"""

from auditor.crawl.browser import BrowserFetcher, FetchedPage
from auditor.crawl.crawler import CrawlJob, CrawlPolicy, ItemLink, Memory, SearchPageRead, Spent, crawl
from auditor.crawl.install import install_browser

__all__ = ["BrowserFetcher", "CrawlJob", "CrawlPolicy", "FetchedPage", "ItemLink", "Memory", "SearchPageRead", "Spent", "crawl", "install_browser"]
