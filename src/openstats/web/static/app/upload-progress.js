// With JavaScript, the upload form shows its progress; without it the form posts as usual.
// The server answers an upload with a redirect to its report (which the request follows):
// the browser then goes there itself, so the report has its own address and refresh or
// Back bring it back. The header asks the server to keep its one-time success message for
// that visit. A form with problems comes back as a page, shown as it is.
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
      var landed = request.responseURL || '';
      if (landed && landed.split('#')[0] !== form.action.split('#')[0]) {
        window.location.assign(landed);
        return;
      }
      document.open(); document.write(request.responseText); document.close();
    };
    request.open('POST', form.action);
    request.setRequestHeader('X-Openstats-Upload', 'progress');
    request.send(new FormData(form));
  });
})();
