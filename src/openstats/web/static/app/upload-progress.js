// With JavaScript, the upload form shows its progress; without it the form posts as usual.
(function () {
  var form = document.getElementById('upload-form');
  if (!form) { return; }
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var bar = document.getElementById('upload-progress');
    var request = new XMLHttpRequest();
    bar.hidden = false;
    request.upload.onprogress = function (e) {
      if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); }
    };
    request.onload = function () {
      document.open(); document.write(request.responseText); document.close();
    };
    request.open('POST', form.action);
    request.send(new FormData(form));
  });
})();
