// 规范用语: "插入" puts the phrase into the text box being written (the last one focused, else
// the first of the open action form), at the cursor, so an operator need not retype it.
(function () {
  var last = null;
  document.addEventListener("focusin", function (e) {
    if (e.target.tagName === "TEXTAREA") last = e.target;
  });
  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest(".insert-phrase") : null;
    if (!button) return;
    var box = last && document.contains(last) ? last : document.querySelector("details[open] textarea");
    if (!box) return;
    var at = box.selectionStart || box.value.length, text = button.dataset.phrase;
    box.value = box.value.slice(0, at) + text + box.value.slice(box.selectionEnd || at);
    box.focus();
    box.selectionStart = box.selectionEnd = at + text.length;
  });
})();
