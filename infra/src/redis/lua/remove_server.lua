-- Removes a server with everything kept under its id. Returns 'ok', or 'gone' when it was not there.
if forget_server(plan.server) == 1 then
  return 'ok'
end
return 'gone'
