// CircleDriver.cs - drives one MSNPSharp 3.2.1 session (MSNP18, as WLM 2009) through a circle
// scenario and prints one "STEP n ok ..." / "STEP n FAIL ..." line per step on stdout, as the
// shared harness's driver does (run by .ci/circles/run.sh). MSNPSharp runs unchanged, through its
// public circle API only: ContactService.CreateCircle, InviteCircleMember, AcceptCircleInvitation,
// ExitCircle; Circle.SendMessage; the Nameserver's circle events. Its own trace goes to stderr.
//
// usage: mono circles.exe ACCOUNT PASSWORD STEP...      (T = seconds a step may wait)
//   login T                 connect, wait for SignedIn, go online
//   create NAME T           CreateCircle(NAME); ok once CreateCircleCompleted names it
//   invite NAME PEER T      InviteCircleMember; ok once InviteCircleMemberCompleted
//   accept NAME T           wait for the invitation to NAME, AcceptCircleInvitation; ok once joined
//   together NAME PEER T    wait until PEER is a member of NAME and online in it
//   say NAME TEXT T         Circle.SendMessage(TEXT) (SDG to the circle)
//   hear NAME PEER TEXT T   wait for TEXT from PEER in NAME (CircleTextMessageReceived)
//   gone NAME PEER T        wait until PEER is out of NAME (left it, or offline in it)
//   leave NAME T            ExitCircle (an admin leaving deletes it); ok once NAME is gone here
//   deleted NAME T          wait until NAME is gone from the circle list
//   logout T                Disconnect() and wait for SignedOff
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using MSNPSharp;

class StderrTrace : TraceListener
{
    public override void Write(string message) { Driver.Log(message, false); }
    public override void WriteLine(string message) { Driver.Log(message, true); }
}

class Driver
{
    static readonly object Lock = new object();
    static readonly List<string> Events = new List<string>();
    static readonly DateTime T0 = DateTime.Now;
    static readonly Dictionary<string, Circle> Invitations = new Dictionary<string, Circle>();
    static Messenger m;
    static int n;

    public static void Log(string message, bool newline)
    {
        lock (Lock)
        {
            Console.Error.Write(string.Format("{0,8:0.000} ", (DateTime.Now - T0).TotalSeconds) + message + (newline ? "\n" : ""));
            Console.Error.Flush();
        }
    }

    static void Event(string e)
    {
        lock (Lock)
        {
            Events.Add(e);
            Monitor.PulseAll(Lock);
        }
        Log("EVENT " + e, true);
    }

    static void Out(string line)
    {
        lock (Lock)
        {
            Console.Out.WriteLine(line);
            Console.Out.Flush();
        }
    }

    static int Ok(string detail)
    {
        Out(string.Format("STEP {0} ok {1} ({2:0.0}s)", n, detail, (DateTime.Now - T0).TotalSeconds));
        return 0;
    }

    static int Fail(string detail)
    {
        Out(string.Format("STEP {0} FAIL {1}", n, detail));
        return 1;
    }

    static string Errors()
    {
        lock (Lock)
        {
            List<string> errs = Events.FindAll(delegate(string e) { return e.StartsWith("error "); });
            return errs.Count == 0 ? "no error reported" : string.Join("; ", errs.GetRange(Math.Max(0, errs.Count - 2), Math.Min(2, errs.Count)).ToArray());
        }
    }

    delegate string Cond();

    // Waits until cond() holds (checked on every event and every 100 ms); null on time-out.
    static string WaitFor(double seconds, Cond cond)
    {
        DateTime end = DateTime.Now.AddSeconds(seconds);
        while (true)
        {
            string r;
            try { r = cond(); } catch (Exception) { r = null; }
            if (r != null) return r;
            int left = (int)(end - DateTime.Now).TotalMilliseconds;
            if (left <= 0) return null;
            lock (Lock) { Monitor.Wait(Lock, Math.Min(left, 100)); }
        }
    }

    static string EventSince(int from, string prefix)
    {
        lock (Lock)
        {
            for (int i = from; i < Events.Count; i++)
                if (Events[i].StartsWith(prefix)) return Events[i];
        }
        return null;
    }

    static int Mark() { lock (Lock) { return Events.Count; } }

    static Circle Named(string name)
    {
        lock (m.CircleList.SyncRoot)
        {
            foreach (Circle circle in m.CircleList)
                if (circle.Name == name) return circle;
        }
        return null;
    }

    static Contact Member(Circle circle, string peer)
    {
        foreach (Contact contact in circle.ContactList.All)
            if (contact.Mail == peer) return contact;
        return null;
    }

    static int Main(string[] args)
    {
        if (args.Length < 3) { Console.Error.WriteLine("usage: circles.exe ACCOUNT PASSWORD STEP..."); return 2; }
        AppDomain.CurrentDomain.UnhandledException += delegate(object sender, UnhandledExceptionEventArgs e)
        {
            Fail("MSNPSharp crashed: " + e.ExceptionObject);
        };
        Settings.NoSave = true;
        Settings.TraceSwitch.Level = TraceLevel.Verbose;
        Trace.Listeners.Add(new StderrTrace());

        m = new Messenger();
        string ns = Environment.GetEnvironmentVariable("MSNPSHARP_NS");
        if (!string.IsNullOrEmpty(ns))
            m.ConnectivitySettings = new ConnectivitySettings(ns.Substring(0, ns.LastIndexOf(':')), int.Parse(ns.Substring(ns.LastIndexOf(':') + 1)));
        m.Credentials = new Credentials(args[0], args[1], MsnProtocol.MSNP18);
        m.Nameserver.SignedIn += delegate { Event("signedin"); };
        m.Nameserver.SignedOff += delegate(object s, SignedOffEventArgs e) { Event("signedoff " + e.SignedOffReason); };
        m.Nameserver.ExceptionOccurred += delegate(object s, ExceptionEventArgs e) { Event("error exception: " + e.Exception.Message); };
        m.Nameserver.AuthenticationError += delegate(object s, ExceptionEventArgs e) { Event("error authentication: " + e.Exception.Message); };
        m.Nameserver.ServerErrorReceived += delegate(object s, MSNErrorEventArgs e) { Event("error server: " + e.MSNError + " (" + (int)e.MSNError + ")"); };
        m.ContactService.ServiceOperationFailed += delegate(object s, ServiceOperationFailedEventArgs e) { Event("error service " + e.Method + ": " + (e.Exception == null ? "" : e.Exception.Message)); };
        m.ContactService.CreateCircleCompleted += delegate(object s, CircleEventArgs e) { Event("created " + e.Circle.Name); };
        m.ContactService.InviteCircleMemberCompleted += delegate(object s, CircleMemberEventArgs e) { Event("invited " + e.Member.Mail); };
        m.ContactService.JoinCircleInvitationReceived += delegate(object s, CircleEventArgs e)
        {
            lock (Lock) { Invitations[e.Circle.Name] = e.Circle; }
            Event("invitation " + e.Circle.Name);
        };
        m.ContactService.JoinedCircleCompleted += delegate(object s, CircleEventArgs e) { Event("joined " + e.Circle.Name); };
        m.ContactService.CircleMemberLeft += delegate(object s, CircleMemberEventArgs e) { Event("left " + e.Circle.Name + " " + e.Member.Mail); };
        m.Nameserver.CircleMemberOnline += delegate(object s, CircleMemberEventArgs e) { Event("online " + e.Circle.Name + " " + e.Member.Mail); };
        m.Nameserver.CircleMemberOffline += delegate(object s, CircleMemberEventArgs e) { Event("offline " + e.Circle.Name + " " + e.Member.Mail); };
        m.Nameserver.CircleTextMessageReceived += delegate(object s, CircleTextMessageEventArgs e)
        {
            Event("heard " + e.Sender.Name + " " + e.TriggerMember.Mail + " " + e.Message.Text);
        };

        int i = 2;
        while (i < args.Length)
        {
            n++;
            string step = args[i++];
            int rc;
            try
            {
                switch (step)
                {
                    case "login": rc = Login(double.Parse(args[i++])); break;
                    case "create": rc = Create(args[i++], double.Parse(args[i++])); break;
                    case "invite": rc = Invite(args[i++], args[i++], double.Parse(args[i++])); break;
                    case "accept": rc = Accept(args[i++], double.Parse(args[i++])); break;
                    case "together": rc = Together(args[i++], args[i++], double.Parse(args[i++])); break;
                    case "say": rc = Say(args[i++], args[i++]); i++; break;
                    case "hear": rc = Hear(args[i++], args[i++], args[i++], double.Parse(args[i++])); break;
                    case "gone": rc = Gone(args[i++], args[i++], double.Parse(args[i++])); break;
                    case "leave": rc = Leave(args[i++], double.Parse(args[i++])); break;
                    case "deleted": rc = Deleted(args[i++], double.Parse(args[i++])); break;
                    case "logout": rc = Logout(double.Parse(args[i++])); break;
                    default: Console.Error.WriteLine("unknown step " + step); return 2;
                }
            }
            catch (Exception e)
            {
                rc = Fail(step + " raised " + e.GetType().Name + ": " + e.Message);
            }
            if (rc != 0)
            {
                try { m.Disconnect(); } catch (Exception) { }
                return rc;
            }
        }
        return 0;
    }

    static int Login(double t)
    {
        int mark = Mark();
        m.Connect();
        string r = WaitFor(t, delegate { return EventSince(mark, "signedin") ?? EventSince(mark, "error ") ?? EventSince(mark, "signedoff"); });
        if (r == null) return Fail("timed out after " + t + "s waiting for SignedIn (" + Errors() + ")");
        if (r != "signedin") return Fail(r);
        m.ContactList.Owner.Status = PresenceStatus.Online;
        return Ok("signed in as " + m.ContactList.Owner.Mail);
    }

    static int Create(string name, double t)
    {
        int mark = Mark();
        m.ContactService.CreateCircle(name);
        string r = WaitFor(t, delegate { return EventSince(mark, "created " + name) ?? EventSince(mark, "error "); });
        if (r == null) return Fail("timed out after " + t + "s waiting for CreateCircleCompleted (" + Errors() + ")");
        if (r.StartsWith("error ")) return Fail(r);
        Circle circle = Named(name);
        return circle == null ? Fail("created, but not in the circle list") : Ok("created " + circle.Mail + " (" + circle.CircleRole + ")");
    }

    static int Invite(string name, string peer, double t)
    {
        Circle circle = Named(name);
        if (circle == null) return Fail("no circle " + name);
        int mark = Mark();
        m.ContactService.InviteCircleMember(circle, m.ContactList[peer, ClientType.PassportMember], "join us");
        string r = WaitFor(t, delegate { return EventSince(mark, "invited " + peer) ?? EventSince(mark, "error "); });
        if (r == null) return Fail("timed out after " + t + "s waiting for InviteCircleMemberCompleted (" + Errors() + ")");
        return r.StartsWith("error ") ? Fail(r) : Ok("invited " + peer + " to " + name);
    }

    static int Accept(string name, double t)
    {
        string r = WaitFor(t, delegate { return EventSince(0, "invitation " + name); });
        if (r == null) return Fail("timed out after " + t + "s waiting for the invitation to " + name + " (" + Errors() + ")");
        Circle invited;
        lock (Lock) { invited = Invitations[name]; }
        int mark = Mark();
        m.ContactService.AcceptCircleInvitation(invited);
        r = WaitFor(t, delegate { return Named(name) != null ? "in" : EventSince(mark, "error "); });
        if (r == null) return Fail("timed out after " + t + "s waiting to be in " + name + " (" + Errors() + ")");
        return r == "in" ? Ok("accepted; " + name + " is in the circle list as " + Named(name).CircleRole) : Fail(r);
    }

    static int Together(string name, string peer, double t)
    {
        string r = WaitFor(t, delegate
        {
            Circle circle = Named(name);
            Contact member = circle == null ? null : Member(circle, peer);
            return member != null && member.Online ? member.Status.ToString() : null;
        });
        if (r == null) return Fail("timed out after " + t + "s waiting for " + peer + " online in " + name + " (" + Errors() + ")");
        return Ok(peer + " is " + r + " in " + name);
    }

    static int Say(string name, string text)
    {
        Circle circle = Named(name);
        if (circle == null) return Fail("no circle " + name);
        circle.SendMessage(new TextMessage(text));
        return Ok("sent '" + text + "' to " + name);
    }

    static int Hear(string name, string peer, string text, double t)
    {
        string want = "heard " + name + " " + peer + " " + text;
        string r = WaitFor(t, delegate { return EventSince(0, want); });
        if (r == null) return Fail("timed out after " + t + "s waiting for '" + text + "' from " + peer + " in " + name + " (" + Errors() + ")");
        return Ok("got '" + text + "' from " + peer + " in " + name);
    }

    static int Gone(string name, string peer, double t)
    {
        string r = WaitFor(t, delegate
        {
            Circle circle = Named(name);
            if (circle == null) return null;
            Contact member = Member(circle, peer);
            if (member == null) return "no longer a member";
            return member.Online ? null : "offline in it";
        });
        if (r == null) return Fail("timed out after " + t + "s waiting for " + peer + " to leave " + name + " (" + Errors() + ")");
        return Ok(peer + " is " + r);
    }

    static int Leave(string name, double t)
    {
        Circle circle = Named(name);
        if (circle == null) return Fail("no circle " + name);
        m.ContactService.ExitCircle(circle);
        return Deleted(name, t);
    }

    static int Deleted(string name, double t)
    {
        string r = WaitFor(t, delegate { return Named(name) == null ? "gone" : null; });
        if (r == null) return Fail("timed out after " + t + "s waiting for " + name + " to leave the circle list (" + Errors() + ")");
        return Ok(name + " is no longer in the circle list");
    }

    static int Logout(double t)
    {
        int mark = Mark();
        m.Disconnect();
        string r = WaitFor(t, delegate { return EventSince(mark, "signedoff"); });
        return r == null ? Fail("timed out after " + t + "s waiting for SignedOff") : Ok("signed out");
    }
}
