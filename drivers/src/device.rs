//! What every kiosk device can say about itself: whether it works now, and a self-test a
//! manager can run from the kiosk's menu. [`KioskDevice`] is implemented by the ticket
//! printer and the simulated A4 printer here, and by the kiosk's own wrappers (IPP A4
//! printer, SANE scanner) in the application; [`fake::FakeDevice`] answers what a test
//! tells it to.

/// A device the kiosk watches and a manager can test.
pub trait KioskDevice: Send {
    /// What the device is and where, for logs and the self-test screen.
    fn describe(&self) -> String;

    /// Whether it works now: `Err` is the fault, in words for staff. Within the device's
    /// own deadline (a silent device is a fault, not a hang).
    fn status(&mut self) -> Result<(), String>;

    /// A manager's self-test: what it did (a test ticket printed, the scanner listed),
    /// or why it failed.
    fn self_test(&mut self) -> Result<String, String>;
}

impl KioskDevice for crate::printer::TicketPrinter {
    fn describe(&self) -> String {
        crate::printer::TicketPrinter::describe(self)
    }

    fn status(&mut self) -> Result<(), String> {
        match crate::printer::TicketPrinter::status(self) {
            Ok(Some(s)) => match s.fault() {
                Some(f) => Err(f.staff_message().to_string()),
                None => Ok(()),
            },
            // A printer that cannot answer (a plain device file) is taken to work.
            Ok(None) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Prints a short test ticket (number T000 and the time) after a status check.
    fn self_test(&mut self) -> Result<String, String> {
        KioskDevice::status(self)?;
        let model = crate::printer::ticket::TicketModel {
            hall_name: "打印自检 / self-test".into(),
            number: "T000".into(),
            id: "self-test".into(),
            service: "打印自检".into(),
            issued_at: chrono::Local::now().format("%Y-%m-%d %H:%M").to_string(),
            ..Default::default()
        };
        let template = crate::printer::ticket::Template {
            fields: vec![crate::printer::ticket::Field::Number, crate::printer::ticket::Field::IssuedAt],
            ..Default::default()
        };
        self.print_ticket(&template, &model).map(|_| format!("{}：已打印测试票", self.describe())).map_err(|e| e.to_string())
    }
}

/// Devices for tests that answer what they are told.
pub mod fake {
    use std::sync::{Arc, Mutex};

    use super::KioskDevice;

    /// A device whose status and self-test a test sets, through any clone.
    #[derive(Debug, Clone)]
    pub struct FakeDevice {
        name: String,
        state: Arc<Mutex<FakeState>>,
    }

    #[derive(Debug, Default)]
    struct FakeState {
        fault: Option<String>,
        tests: u32,
    }

    impl FakeDevice {
        /// A working device called `name`.
        pub fn new(name: &str) -> FakeDevice {
            FakeDevice { name: name.into(), state: Arc::default() }
        }

        /// Makes the device faulty (`Some`) or working again (`None`).
        pub fn set_fault(&self, fault: Option<&str>) {
            self.state().fault = fault.map(Into::into);
        }

        /// How many self-tests ran.
        pub fn tests(&self) -> u32 {
            self.state().tests
        }

        fn state(&self) -> std::sync::MutexGuard<'_, FakeState> {
            self.state.lock().unwrap_or_else(|p| p.into_inner())
        }
    }

    impl KioskDevice for FakeDevice {
        fn describe(&self) -> String {
            format!("fake:{}", self.name)
        }

        fn status(&mut self) -> Result<(), String> {
            self.state().fault.clone().map_or(Ok(()), Err)
        }

        fn self_test(&mut self) -> Result<String, String> {
            let mut s = self.state();
            s.tests += 1;
            s.fault.clone().map_or_else(|| Ok(format!("{} 正常", self.name)), Err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fake::FakeDevice;
    use super::KioskDevice;
    use crate::printer::sim::SimPrinter;
    use crate::printer::TicketPrinter;
    use crate::DeviceUri;

    #[test]
    fn a_fake_answers_what_it_is_told_through_any_clone() {
        let mut d = FakeDevice::new("scanner");
        let handle = d.clone();
        assert_eq!(d.status(), Ok(()));
        handle.set_fault(Some("卡纸"));
        assert_eq!(d.status(), Err("卡纸".into()));
        assert_eq!(d.self_test(), Err("卡纸".into()));
        handle.set_fault(None);
        assert!(d.self_test().is_ok());
        assert_eq!(handle.tests(), 2);
    }

    #[test]
    fn the_ticket_printer_self_test_prints_a_test_ticket() {
        let sim = SimPrinter::new();
        let uri: DeviceUri = "sim://printer".parse().unwrap();
        let mut p = TicketPrinter::open(&uri, Some(&sim)).unwrap();
        let devices: &mut dyn KioskDevice = &mut p;
        assert_eq!(devices.status(), Ok(()));
        assert!(devices.self_test().unwrap().contains("已打印测试票"));
        assert_eq!(sim.printed().len(), 1);
    }
}
