// The field-visit form: fill the hidden latitude/longitude from the phone's location when asked.
(function () {
  var button = document.getElementById("locate");
  if (!button || !navigator.geolocation) { if (button) { button.hidden = true; } return; }
  var text = document.getElementById("location-text");
  button.addEventListener("click", function () {
    text.textContent = button.dataset.wait;
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("id_latitude").value = pos.coords.latitude.toFixed(6);
      document.getElementById("id_longitude").value = pos.coords.longitude.toFixed(6);
      text.textContent = pos.coords.latitude.toFixed(5) + ", " + pos.coords.longitude.toFixed(5);
    }, function () { text.textContent = button.dataset.failed; }, {timeout: 15000, maximumAge: 60000});
  });
})();
