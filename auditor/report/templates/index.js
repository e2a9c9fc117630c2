// The index's own script: a static page cannot know that the scheduler stopped after it was written, so it
// carries the time the next scheduled run was due and says, in red, when the reader's clock is past it.
(function () {
  "use strict";
  var late = document.getElementById("no-run");
  if (late && Date.now() > Date.parse(late.getAttribute("data-due"))) late.hidden = false;
})();
